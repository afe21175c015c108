// LIKE patterns that take the user's text literally: its wildcards escaped with a backslash (ESCAPE '\').
import { sql } from "kysely";

/** `text` with LIKE's wildcards (and the escape character) escaped, for a pattern with ESCAPE '\'. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `column` starts with `text`, taken literally. */
export const startsWith = (column: string, text: string) => sql<boolean>`${sql.ref(column)} LIKE ${`${escapeLike(text)}%`} ESCAPE '\\'`;
