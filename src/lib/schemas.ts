import { t } from "elysia";

/**
 * A numeric id in a path. No range here: an id that names nothing (0, -1) is simply not found (404).
 * An integer, not t.Numeric: t.Numeric lets "Infinity" through to fail later as a 400 instead of the 404 for params.
 */
export const pathId = (description = "An id") => t.Integer({ description });
