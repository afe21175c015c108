import type { Kysely } from "kysely";
import { installSearchIndex, uninstallSearchIndex } from "../src/db/search-sqlite";

// Full-text search over message text (SQLite FTS5: see src/db/search-sqlite.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await installSearchIndex(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await uninstallSearchIndex(db);
}
