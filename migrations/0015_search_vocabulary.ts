import type { Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";
import { installSearchVocabulary, uninstallSearchVocabulary } from "../src/db/search-sqlite";

// SQLite: the vocabulary of the word index, indexed by trigrams, so parts of words are found through the few distinct
// words containing them (see src/db/search-sqlite.ts). PostgreSQL's pg_trgm index serves them already.
export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await installSearchVocabulary(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await uninstallSearchVocabulary(db);
}
