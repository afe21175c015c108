import type { Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";
import { mergeSearchIndexInSteps } from "../src/db/search-sqlite";

// SQLite: FTS5 no longer merges index segments inside inserts; the indexer merges them in small steps instead
// (see src/db/search-sqlite.ts). PostgreSQL has no such merges.
export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await mergeSearchIndexInSteps(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await mergeSearchIndexInSteps(db, false);
}
