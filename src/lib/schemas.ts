import { Elysia, t } from "elysia";
import { AppError, invalidField } from "./errors";

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
 * is handed on as one that is no number, so it goes the way "abc" goes (401 first for anonymous callers, then 404).
 */
export const canonicalPathIds = () =>
  new Elysia({ name: "parley-canonical-path-ids" }).onTransform({ as: "global" }, ({ params }) => {
    for (const name in params) {
      const value = (params as Record<string, unknown>)[name];
      if ((name === "id" || name.endsWith("_id")) && typeof value === "string" && !CANONICAL_ID.test(value))
        (params as Record<string, unknown>)[name] = "not-an-id";
    }
  });

export const NUL_MESSAGE = "Null characters are not allowed.";

/**
 * The top-level field of the first string in `value` that holds a NUL character ("" when `value` is that string), or
 * null. PostgreSQL's text cannot hold NUL (SQLite's can): refused for every field on both, as Django's forms refuse it.
 */
export function fieldWithNul(value: unknown): string | null {
  // The usual body, an object of strings and numbers (every /ws operation): no work list. Last field first, as below.
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Blob)) {
    const keys = Object.keys(value);
    let i = keys.length - 1;
    for (; i >= 0; i--) {
      const entry = (value as Record<string, unknown>)[keys[i]!];
      if (typeof entry === "string" && entry.includes("\u0000")) return keys[i]!;
      if (typeof entry === "object" && entry !== null) break;
    }
    if (i < 0) return null;
  }
  const pending: [unknown, string][] = [[value, ""]];
  while (pending.length) {
    const [item, field] = pending.pop()!;
    if (typeof item === "string") {
      if (item.includes("\u0000")) return field;
    } else if (Array.isArray(item)) for (const entry of item) pending.push([entry, field]);
    else if (typeof item === "object" && item !== null && !(item instanceof Blob))
      for (const [key, entry] of Object.entries(item)) pending.push([entry, field || key]);
  }
  return null;
}

interface RouteShape {
  method: string;
  path: string;
  hooks?: { body?: unknown; query?: unknown };
}

/**
 * A body or query the route reads (it declares a schema for it) holding a NUL character answers 400 naming the field;
 * a path segment holding one names nothing (404). What a route does not read is not looked at.
 */
export const noNulCharacters = (routes: () => RouteShape[]) => {
  let reads: Map<string, { body: boolean; query: boolean }> | undefined;
  return new Elysia({ name: "parley-no-nul" }).onTransform({ as: "global" }, ({ params, query, body, request, route }) => {
    if (fieldWithNul(params) !== null) throw new AppError(404, "not_found", "Not found.");
    reads ??= new Map(routes().map((r) => [`${r.method} ${r.path}`, { body: Boolean(r.hooks?.body), query: Boolean(r.hooks?.query) }]));
    const shape = reads.get(`${request.method} ${route}`);
    const field = (shape?.query ? fieldWithNul(query) : null) ?? (shape?.body ? fieldWithNul(body) : null);
    if (field !== null) invalidField(field || "non_field_errors", NUL_MESSAGE);
  });
};
