import type { Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";
import { installPostgresSearch, uninstallPostgresSearch } from "../src/db/search-postgres";
import { installSearchIndex, uninstallSearchIndex } from "../src/db/search-sqlite";

// Full-text search over message text. SQLite: FTS5 (see src/db/search-sqlite.ts). PostgreSQL: a tsvector index for
// words and a pg_trgm index for substrings and CJK, both kept by PostgreSQL itself (see src/db/search-postgres.ts).
export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return installSearchIndex(db);
  await installPostgresSearch(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return uninstallSearchIndex(db);
  await uninstallPostgresSearch(db);
}
