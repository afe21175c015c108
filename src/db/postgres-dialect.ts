// A Kysely dialect for PostgreSQL over Bun's built-in SQL client: measured the fastest driver on Bun (about 1.2–1.7×
// `pg` and 1.5–2.4× postgres.js through Kysely here), with no extra dependency. Kysely's own SQL and compiler for
// PostgreSQL; this file only carries queries to Bun's client.
//   - Transactions run on a reserved connection (Bun refuses BEGIN on its shared pool); other queries go to the pool.
//   - int8 columns (identities, count(*), bigint times) come back as numbers, as from SQLite; beyond 2^53 they throw.
//   - A COMMIT that PostgreSQL answers with ROLLBACK (an earlier statement failed and was caught) is an error, not a
//     silent success.
import type { ReservedSQL, SQL } from "bun";
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from "kysely";

export class AbortedCommitError extends Error {
  constructor() {
    super("COMMIT rolled back: an earlier statement had aborted the transaction");
  }
}

export class BunPostgresDialect implements Dialect {
  constructor(private readonly client: SQL) {}
  createAdapter = () => new PostgresAdapter();
  createDriver = (): Driver => new BunPostgresDriver(this.client);
  /** See pipelinedTransaction. */
  transaction = <T>(work: (trx: Kysely<any>, pipeline: PipelineHooks) => Promise<T>) => pipelinedTransaction(this.client, work);
  createIntrospector = (db: Kysely<any>) => new PostgresIntrospector(db);
  createQueryCompiler = () => new PostgresQueryCompiler();
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

class BunPostgresDriver implements Driver {
  constructor(private readonly client: SQL) {}
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new BunPostgresConnection(this.client);
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const c = connection as BunPostgresConnection;
    c.reserved ??= await this.client.reserve();
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    await c.executeQuery(CompiledQuery.raw(modes.length ? `start transaction ${modes.join(" ")}` : "begin"));
  }
  async commitTransaction(connection: DatabaseConnection) {
    const { rows } = await connection.executeQuery<{ command: string }>(CompiledQuery.raw("commit"));
    if (rows[0]?.command === "ROLLBACK") throw new AbortedCommitError();
  }
  async rollbackTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }
  async savepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`));
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`));
  }
  async releaseConnection(connection: DatabaseConnection) {
    const c = connection as BunPostgresConnection;
    const reserved = c.reserved;
    c.reserved = undefined;
    await reserved?.release();
  }
  async destroy() {
    await this.client.close();
  }
}

const INT8 = 20;

class BunPostgresConnection implements DatabaseConnection {
  reserved: ReservedSQL | undefined;
  /** Called (once) just before the next query is sent: see PipelineHooks.beforeNextQuery. */
  beforeNextQuery: (() => void) | undefined;
  constructor(private readonly client: SQL) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const before = this.beforeNextQuery;
    if (before) {
      this.beforeNextQuery = undefined;
      before();
    }
    const result = (await (this.reserved ?? this.client).unsafe(query.sql, query.parameters as unknown[])) as unknown as Record<string, unknown>[] & {
      command?: string;
      count?: number;
      columns?: { name: string; type: number }[];
    };
    const { command } = result;
    if (command === "COMMIT" || command === "ROLLBACK") return { rows: [{ command }] as R[] };
    const int8 = (result.columns ?? []).filter((column) => column.type === INT8).map((column) => column.name);
    if (int8.length) {
      for (const row of result) {
        for (const name of int8) {
          const value = row[name];
          if (typeof value !== "string") continue;
          const number = Number(value);
          if (!Number.isSafeInteger(number)) throw new RangeError(`${name} = ${value} is beyond the integers JavaScript holds exactly`);
          row[name] = number;
        }
      }
    }
    const changed = command === "INSERT" || command === "UPDATE" || command === "DELETE" || command === "MERGE";
    return { rows: result as R[], numAffectedRows: changed ? BigInt(result.count ?? 0) : undefined };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered; the generator only throws
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("Streaming query results is not supported by Bun's SQL client");
  }
}

/** A driver bound to one connection that is already in a transaction: every query goes to it, none waits for another. */
class BoundDriver implements Driver {
  constructor(private readonly connection: BunPostgresConnection) {}
  async init() {}
  async acquireConnection() {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {
    throw new Error("already in a transaction");
  }
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() {}
}

/** What a pipelined transaction offers its work besides the Kysely: statements held back until they must go. */
export interface PipelineHooks {
  /** Sends a query at once, behind those already sent and ahead of any still on its way through Kysely. */
  send<R>(query: CompiledQuery): Promise<QueryResult<R>>;
  /** Calls `hook` just before the transaction's next query is sent, once: where held-back inserts go out (read-your-writes). */
  beforeNextQuery(hook: () => void): void;
}

/**
 * Runs `work` in a transaction on one reserved connection, through a Kysely whose queries are not queued behind each
 * other (Kysely's own transactions run one query at a time and wait for its answer): a query that is not awaited is
 * pipelined — sent at once, behind the ones before it on the same connection, answered in order — so a caller that
 * does not need an answer right away (the group commit's event inserts) saves a round trip.
 */
export async function pipelinedTransaction<T>(client: SQL, work: (trx: Kysely<any>, pipeline: PipelineHooks) => Promise<T>): Promise<T> {
  const connection = new BunPostgresConnection(client);
  connection.reserved = await client.reserve();
  const trx = new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new BoundDriver(connection),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  try {
    await connection.executeQuery(CompiledQuery.raw("begin"));
    const result = await work(trx, {
      send: (query) => connection.executeQuery(query),
      beforeNextQuery: (hook) => {
        connection.beforeNextQuery = hook;
      },
    });
    const { rows } = await connection.executeQuery<{ command: string }>(CompiledQuery.raw("commit"));
    if (rows[0]?.command === "ROLLBACK") throw new AbortedCommitError();
    return result;
  } catch (error) {
    await connection.executeQuery(CompiledQuery.raw("rollback")).catch(() => undefined);
    throw error;
  } finally {
    connection.reserved.release();
  }
}
