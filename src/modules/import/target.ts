// The Parley database an import goes into: it must hold no user, conversation or message.
import { existsSync } from "node:fs";
import { databasePath, querySync, type Db } from "../../db";
import { sqlBuilder } from "../../db/prepared";
import { openReadOnly } from "../../db/read-only";
import { ImportError } from "./report";

const CONTENT_TABLES = ["users", "conversations", "messages"] as const;

const firstRowOf = (table: (typeof CONTENT_TABLES)[number]) => sqlBuilder.selectFrom(table).select("id").limit(1);

function refusal(dataDir: string, table: string): ImportError {
  return new ImportError("not_empty", `the Parley database in ${dataDir} already has ${table}; import only into an empty data dir (use a new --data-dir)`);
}

/** Refuses unless the target is empty, through a transaction or the database (inside the import's transaction: the final word). */
export async function requireEmpty(db: Db, dataDir: string): Promise<void> {
  for (const table of CONTENT_TABLES) {
    if (await db.selectFrom(table).select("id").limit(1).executeTakeFirst()) throw refusal(dataDir, table);
  }
}

/**
 * The same check without creating or migrating anything (dry runs, and before a real import opens the
 * database): a missing database or one not migrated yet is empty.
 */
export function requireEmptyReadOnly(dataDir: string): void {
  const path = databasePath(dataDir);
  if (!existsSync(path)) return;
  const sqlite = openReadOnly(path);
  try {
    for (const table of CONTENT_TABLES) {
      const exists = sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1").get(table);
      if (exists && querySync(sqlite, firstRowOf(table)).length) throw refusal(dataDir, table);
    }
  } finally {
    sqlite.close();
  }
}
