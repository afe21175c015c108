// The one place that owns the database: opens it, applies the SQLite-only settings, migrates, closes.
import { Database as SqliteDatabase } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Kysely, Migrator, type Compilable, type MigrationResultSet } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { migrations } from "../../migrations";
import type { Durability } from "../config";
import type { Database } from "./schema";

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  /** The raw SQLite connection, for the few SQLite-only operations (PRAGMAs, backups). */
  sqlite: SqliteDatabase;
  close(): Promise<void>;
}

export function databasePath(dataDir: string): string {
  return join(dataDir, "parley.db");
}

export function openDatabase(dataDir: string, durability: Durability = "normal"): DatabaseHandle {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new SqliteDatabase(databasePath(dataDir), { create: true, strict: true });
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA foreign_keys = ON");
  sqlite.run("PRAGMA busy_timeout = 5000");
  // In WAL mode, NORMAL syncs at checkpoints only: a crash of the process loses no committed transaction,
  // a power loss may lose the last ones. FULL syncs the WAL on every commit.
  sqlite.run(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  const db = new Kysely<Database>({ dialect: new BunSqliteDialect({ database: sqlite }) });
  let closed = false;
  return {
    db,
    sqlite,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // closes the bun:sqlite connection too
    },
  };
}

/**
 * Runs a Kysely-built query synchronously on the SQLite connection (SQLite only). The gateway needs this where
 * nothing may interleave between reading the event log and subscribing a socket (see realtime/gateway.ts).
 */
export function querySync<R>(sqlite: SqliteDatabase, query: Compilable<R>): R[] {
  const { sql, parameters } = query.compile();
  return sqlite.query(sql).all(...(parameters as never[])) as R[];
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
