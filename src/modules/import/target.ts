// The Parley database an import goes into: it must hold no user, conversation or message.
import { existsSync } from "node:fs";
import { databasePath, isMigrated, openPostgres, type Db } from "../../db";
import { openReadOnly } from "../../db/read-only";
import { ImportError } from "./report";
import { hasRows } from "./repository";

const CONTENT_TABLES = ["users", "conversations", "messages"] as const;

/** `where`: the data dir, or "PostgreSQL" for the database at PARLEY_DATABASE_URL. */
function refusal(where: string, table: string): ImportError {
  return where === POSTGRES
    ? new ImportError("not_empty", `the PostgreSQL database at PARLEY_DATABASE_URL already has ${table}; import only into an empty database (create a new one)`)
    : new ImportError("not_empty", `the Parley database in ${where} already has ${table}; import only into an empty data dir (use a new --data-dir)`);
}

export const POSTGRES = "PostgreSQL";

/** Refuses unless the target is empty, through a transaction or the database (inside the import's transaction: the final word). */
export async function requireEmpty(db: Db, where: string): Promise<void> {
  for (const table of CONTENT_TABLES) {
    if (await hasRows(db, table)) throw refusal(where, table);
  }
}

/**
 * The same check without creating or migrating anything (dry runs, and before a real import opens the
 * database): a missing database or one not migrated yet is empty.
 */
export async function requireEmptyReadOnly({ dataDir, databaseUrl }: { dataDir: string; databaseUrl: string | null }): Promise<void> {
  if (databaseUrl) {
    const postgres = openPostgres(databaseUrl, 1);
    try {
      if (await isMigrated(postgres.reader)) await requireEmpty(postgres.db, POSTGRES);
    } finally {
      await postgres.close();
    }
    return;
  }
  const path = databasePath(dataDir);
  if (!existsSync(path)) return;
  const sqlite = openReadOnly(path);
  try {
    for (const table of CONTENT_TABLES) {
      const exists = sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1").get(table);
      if (exists && (await hasRows(sqlite, table))) throw refusal(dataDir, table);
    }
  } finally {
    sqlite.close();
  }
}
