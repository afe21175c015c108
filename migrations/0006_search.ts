import { sql, type Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";
import { installSearchIndex, uninstallSearchIndex } from "../src/db/search-sqlite";

// Full-text search over message text. SQLite: FTS5 (see src/db/search-sqlite.ts). PostgreSQL: a tsvector index for
// words and a pg_trgm index for substrings and CJK, both kept by PostgreSQL itself.
export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return installSearchIndex(db);
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`CREATE INDEX messages_fts ON messages USING gin (to_tsvector('simple', body)) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX messages_trigram ON messages USING gin (body gin_trgm_ops) WHERE deleted_at IS NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return uninstallSearchIndex(db);
  await sql`DROP INDEX messages_trigram`.execute(db);
  await sql`DROP INDEX messages_fts`.execute(db);
}
