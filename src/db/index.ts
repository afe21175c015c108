// The one place that owns the database: opens it, applies the SQLite-only settings, migrates, closes.
import { Database as SqliteDatabase, type Statement } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Kysely, Migrator, sql, type MigrationResultSet } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { SQL } from "bun";
import { migrations } from "../../migrations";
import { createPrivateFile, makePrivateDir } from "../lib/private-files";
import type { Durability } from "../config";
import { BunPostgresDialect, type PipelineHooks } from "./postgres-dialect";
import { isKysely, selectRows, sqlBuilder, type Connection } from "./prepared";
import type { Database } from "./schema";

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  kind: "sqlite" | "postgres";
  db: Db;
  /**
   * SQLite: the raw connection Kysely writes through — group commits run their savepoints and hot inserts on it,
   * and the few SQLite-only operations (PRAGMAs) use it. Null on PostgreSQL.
   */
  sqlite: SqliteDatabase | null;
  /**
   * Where reads of committed data go. SQLite: a second connection, run synchronously with no queue behind the
   * writer's mutex, and (WAL) seeing only committed data. PostgreSQL: the pool, i.e. `db`.
   */
  reader: Connection;
  /**
   * The write transactions of the group commit: Kysely's on SQLite; on PostgreSQL one whose queries may be pipelined
   * (see postgres-dialect.ts pipelinedTransaction).
   */
  transaction<T>(work: (trx: Db, pipeline?: PipelineHooks) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The database the configuration names: PostgreSQL when PARLEY_DATABASE_URL is set, else SQLite in the data dir. */
export function openConfiguredDatabase(config: {
  dataDir: string;
  durability: Durability;
  databaseUrl: string | null;
  databasePoolSize: number;
}): DatabaseHandle {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config.databasePoolSize) : openDatabase(config.dataDir, config.durability);
}

/** PostgreSQL through Bun's built-in client (see postgres-dialect.ts); PostgreSQL commits durably itself. */
export function openPostgres(url: string, poolSize: number): DatabaseHandle {
  const client = new SQL({ url, max: poolSize, idleTimeout: 30, connectionTimeout: 10 });
  const dialect = new BunPostgresDialect(client);
  const db = new Kysely<Database>({ dialect });
  let closed = false;
  return {
    kind: "postgres",
    db,
    sqlite: null,
    reader: db,
    transaction: (work) => dialect.transaction(work as never) as never,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** How long a SQLite connection waits for a lock before it answers busy. */
export const BUSY_TIMEOUT_MS = 5000;

export function databasePath(dataDir: string): string {
  return join(dataDir, "parley.db");
}

/**
 * SQLite rolls a transaction back by itself when a write finds the disk full (SQLITE_FULL); Kysely's ROLLBACK after
 * that would fail ("no transaction is active") and hide the error that says why.
 */
class SqliteDialect extends BunSqliteDialect {
  constructor(private readonly sqlite: SqliteDatabase) {
    super({ database: withStatementCache(sqlite) });
  }

  override createDriver() {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection) => {
      if (this.sqlite.inTransaction) await rollback(connection);
    };
    return driver;
  }
}

export function openDatabase(dataDir: string, durability: Durability = "normal"): DatabaseHandle {
  makePrivateDir(dataDir);
  // SQLite would create it 0644; its -wal and -shm files take the database file's mode.
  createPrivateFile(databasePath(dataDir));
  const sqlite = new SqliteDatabase(databasePath(dataDir), { create: true, strict: true });
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA foreign_keys = ON");
  sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Deleted and edited text is overwritten in the database pages, not left in free space: a deleted message is gone
  // from the file, not just hidden. ON, not FAST: FAST leaves freed overflow pages (a long message's text) unwiped.
  sqlite.run("PRAGMA secure_delete = ON");
  // In WAL mode, NORMAL syncs at checkpoints only: a crash of the process loses no committed transaction,
  // a power loss may lose the last ones. FULL syncs the WAL on every commit.
  sqlite.run(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect(sqlite) });
  const reader = openReader(dataDir);
  let closed = false;
  return {
    kind: "sqlite",
    db,
    sqlite,
    reader,
    transaction: (work) => db.transaction().execute(work),
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

/** A connection that only reads committed data (WAL): the event loop's, and each read worker's own (lib/read-pool.ts). */
export function openReader(dataDir: string): SqliteDatabase {
  const reader = new SqliteDatabase(databasePath(dataDir), { strict: true });
  reader.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  reader.run("PRAGMA query_only = ON");
  return reader;
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
      if (property === "close")
        return () => {
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
export async function isMigrated(reader: Connection): Promise<boolean> {
  // A Kysely reader is PostgreSQL's pool; SQLite's reader is its raw read connection.
  const tableExists = isKysely(reader)
    ? (await sql<{ found: string | null }>`select to_regclass('kysely_migration')::text as found`.execute(reader)).rows[0]?.found != null
    : !!reader.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get();
  if (!tableExists) return false;
  const applied = new Set(
    (await selectRows(reader, sqlBuilder.selectFrom("kysely_migration" as never).select("name" as never))).map((r) => (r as { name: string }).name),
  );
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
  createPrivateFile(partial, { exclusive: true }); // VACUUM INTO fills an empty file, keeping its mode
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
    integrity = copy
      .query<{ integrity_check: string }, []>("PRAGMA integrity_check")
      .all()
      .map((row) => row.integrity_check)
      .join("; ");
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
