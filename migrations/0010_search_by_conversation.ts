import type { Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";
import { tagSearchIndex } from "../src/db/search-sqlite";

// SQLite: the search indexes tag each message with its conversation, so a search walks only the caller's postings
// (see src/db/search-sqlite.ts); everything indexed so far is indexed again. PostgreSQL joins its indexes already.
export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await tagSearchIndex(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await tagSearchIndex(db, false);
}
