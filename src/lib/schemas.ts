import { Elysia, t } from "elysia";
import { AppError } from "./errors";

/**
 * A numeric id in a path. No range here: an id that names nothing (0, -1) is simply not found (404).
 * An integer, not t.Numeric: t.Numeric lets "Infinity" through to fail later as a 400 instead of the 404 for params.
 */
export const pathId = (description = "An id") => t.Integer({ description });

/** An id as the API writes it: decimal digits, no sign, no leading zero, no spaces, no exponent. */
const CANONICAL_ID = /^(0|-?[1-9][0-9]*)$/;

/**
 * Path ids in their one spelling only: Elysia's coercion reads "+1", " 1", "1.0", "0x1", "1e0" and "01" all as 1, so
 * one object had many addresses (a proxy rule or cache keyed on the path could be walked around). Any other spelling
 * names nothing: 404, as for an id that does not exist.
 */
export const canonicalPathIds = () =>
  new Elysia({ name: "parley-canonical-path-ids" }).onTransform({ as: "global" }, ({ params }) => {
    for (const name in params) {
      const value = (params as Record<string, unknown>)[name];
      if ((name === "id" || name.endsWith("_id")) && typeof value === "string" && !CANONICAL_ID.test(value)) throw new AppError(404, "not_found", "Not found.");
    }
  });
