import { t } from "elysia";

/** A numeric id in a path. No range here: an id that names nothing (0, -1, 1.5) is simply not found (404). */
export const pathId = (description = "An id") => t.Numeric({ description });
