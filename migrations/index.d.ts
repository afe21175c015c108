import type { Migration } from "kysely";
export declare const migrations: Record<string, Migration>;
