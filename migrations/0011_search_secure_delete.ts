import type { Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";
import { secureDeleteInSearchIndex } from "../src/db/search-sqlite";

// SQLite: edited-out and deleted words leave the search index's pages at once (see secureDeleteInSearchIndex).
// PostgreSQL computes its search index from the row itself.
export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await secureDeleteInSearchIndex(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await secureDeleteInSearchIndex(db, false);
}
