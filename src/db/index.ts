// The one place that owns the database: opens it, applies the SQLite-only settings, migrates, closes.
import { Database as SqliteDatabase, type Statement } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Kysely, Migrator, sql, type Compilable, type MigrationResultSet } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { migrations } from "../../migrations";
import type { Durability } from "../config";
import type { Database } from "./schema";

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  /** The raw SQLite connection Kysely writes through, for the few SQLite-only operations (PRAGMAs, backups). */
  sqlite: SqliteDatabase;
  /**
   * A second connection for reads on hot paths: synchronous, no queue behind the writer's mutex, and (WAL)
   * it sees only committed data, never a transaction that is still open on the writer.
   */
  reader: SqliteDatabase;
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
  // Deleted and edited text is overwritten in the database pages, not left in free space: a deleted message is gone
  // from the file, not just hidden (FAST: no extra I/O where the page is written anyway).
  sqlite.run("PRAGMA secure_delete = FAST");
  // In WAL mode, NORMAL syncs at checkpoints only: a crash of the process loses no committed transaction,
  // a power loss may lose the last ones. FULL syncs the WAL on every commit.
  sqlite.run(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  const db = new Kysely<Database>({ dialect: new BunSqliteDialect({ database: withStatementCache(sqlite) }) });
  const reader = new SqliteDatabase(databasePath(dataDir), { strict: true });
  reader.run("PRAGMA busy_timeout = 5000");
  reader.run("PRAGMA query_only = ON");
  let closed = false;
  return {
    db,
    sqlite,
    reader,
    async close() {
      if (closed) return;
      closed = true;
      reader.close();
      // Fold the WAL back into the database file, so a stopped server leaves one self-contained file.
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db).catch(() => undefined);
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

/**
 * kysely-bun-sqlite prepares every query anew; compiling SQL costs more than running most of our queries.
 * This hands it a connection whose prepare() reuses statements per SQL text (bounded, least recently used out).
 */
function withStatementCache(sqlite: SqliteDatabase, capacity = 500): SqliteDatabase {
  const cache = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement) {
      cache.delete(sql); // re-insert: Map order is recency order
    } else {
      statement = sqlite.prepare(sql);
      if (cache.size >= capacity) {
        const [oldest, evicted] = cache.entries().next().value!;
        cache.delete(oldest);
        evicted.finalize();
      }
    }
    cache.set(sql, statement);
    return statement;
  };
  return new Proxy(sqlite, {
    get(target, property) {
      if (property === "prepare") return prepare;
      if (property === "close") return () => {
        for (const statement of cache.values()) statement.finalize();
        cache.clear();
        target.close();
      };
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Whether every known migration is recorded as applied: one query, so a restart skips the migrator (start-up time). */
export function isMigrated(sqlite: SqliteDatabase): boolean {
  const table = sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get();
  if (!table) return false;
  const applied = new Set(sqlite.query<{ name: string }, []>("SELECT name FROM kysely_migration").all().map((r) => r.name));
  return Object.keys(migrations).every((name) => applied.has(name));
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}

export interface BackupResult {
  bytes: number;
  /** What `PRAGMA integrity_check` said of the copy: "ok" when it is sound. */
  integrity: string;
}

/**
 * A consistent snapshot of the database into `target` while the server keeps writing (SQLite only): VACUUM INTO
 * reads one WAL snapshot, so the copy is a committed state, never a torn one. It is written beside the target and
 * renamed into place, so a failed backup leaves no half file; then the copy is opened and integrity-checked.
 */
export function backupDatabase(dataDir: string, target: string): BackupResult {
  const source = databasePath(dataDir);
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  const partial = `${target}.partial-${process.pid}`;
  const live = new SqliteDatabase(source, { readonly: true });
  try {
    live.run("PRAGMA busy_timeout = 10000");
    live.query("VACUUM INTO ?").run(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    live.close();
  }
  const copy = new SqliteDatabase(partial, { readonly: true });
  let integrity: string;
  try {
    integrity = copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all().map((row) => row.integrity_check).join("; ");
  } finally {
    copy.close();
  }
  if (integrity !== "ok") {
    rmSync(partial, { force: true });
    throw new Error(`the copy failed its integrity check: ${integrity}`);
  }
  fsyncFile(partial);
  renameSync(partial, target);
  return { bytes: statSync(target).size, integrity };
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
