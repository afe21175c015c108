// Queries built once with Kysely's builder and compiled once, then run with new parameters: building and
// compiling a query costs more than SQLite takes to run most of ours, and these run on every request.
import type { Database as SqliteDatabase } from "bun:sqlite";
import {
  CompiledQuery,
  createQueryId,
  DummyDriver,
  Kysely,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
  type OperationNodeSource,
} from "kysely";
import { isPostgres } from "./dialect";
import type { Database } from "./schema";

/** A Kysely that only builds and compiles SQL (no connection), for queries prepared at module load. */
export const sqlBuilder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

const PARAMETER = Symbol("prepared parameter");
interface Marker {
  [PARAMETER]: number;
}

/**
 * Where a query runs: Kysely (a transaction, or PostgreSQL's pool), or a raw SQLite connection — the read connection,
 * or the writer inside a group commit — which runs it at once, skipping Kysely's queue and driver.
 */
export type Connection = Kysely<any> | SqliteDatabase;

export const isKysely = (connection: Connection): connection is Kysely<any> => "getExecutor" in connection;

export interface PreparedQuery<Args extends unknown[], Row> {
  run(connection: Connection, ...args: Args): Promise<Row[]>;
}

/**
 * `prepared((a, b) => db.selectFrom(...).where("x", "=", a)...)`; then `query.run(connection, a, b)`.
 * The builder receives placeholders: use each only as a value (not in `in (...)` lists, not to branch on).
 */
export function prepared<Args extends unknown[], Row>(build: (...args: Args) => Compilable<Row>): PreparedQuery<Args, Row> {
  // Compiled on first use (per database kind), not at module load: a dozen cold compilations would add to start-up time.
  let sqlite: Compiled | undefined;
  let postgres: Compiled | undefined;
  const bind = ({ parameters, slots }: Compiled, args: unknown[]) => parameters.map((value, i) => (slots[i]! >= 0 ? args[slots[i]!] : value));
  const viaKysely = async (connection: Kysely<any>, args: unknown[]) => {
    const compiled = isPostgres(connection) ? (postgres ??= compile(build, "postgres")) : (sqlite ??= compile(build, "sqlite"));
    return (await connection.executeQuery<Row>(CompiledQuery.raw(compiled.sql, bind(compiled, args)))).rows;
  };
  return {
    // Not async: on a raw SQLite connection (every send's inserts) the rows are there at once, and an async frame per
    // query was a good part of what a send left for the garbage collector.
    run(connection, ...args) {
      if (isKysely(connection)) return viaKysely(connection, args);
      try {
        const compiled = (sqlite ??= compile(build, "sqlite"));
        return Promise.resolve(connection.query(compiled.sql).all(...(bind(compiled, args) as never[])) as Row[]);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/**
 * Runs a query built with Kysely's builder (any builder: `sqlBuilder` or a database's) on `connection`, compiled for
 * the database behind it. For queries whose shape varies (`in` lists), which `prepared` cannot hold.
 */
export async function selectRows<R>(connection: Connection, query: Compilable<R>): Promise<R[]> {
  if (!isKysely(connection)) {
    const { sql, parameters } = query.compile();
    return connection.query(sql).all(...(parameters as never[])) as R[];
  }
  const node = (query as unknown as OperationNodeSource).toOperationNode();
  const compiled = isPostgres(connection) ? postgresCompiler.compileQuery(node as never, createQueryId()) : query.compile();
  return (await connection.executeQuery<R>(compiled)).rows;
}

/** The first row of `query` on `connection` (for lookups by a unique key). */
export async function selectFirst<R>(connection: Connection, query: Compilable<R>): Promise<R | undefined> {
  return (await selectRows(connection, query))[0];
}

interface Compiled {
  sql: string;
  parameters: readonly unknown[];
  /** For each parameter, the argument it stands for (-1: a constant of the query). */
  slots: number[];
}

const postgresCompiler = new PostgresQueryCompiler();

/** The query built once with markers for its arguments, compiled for SQLite or PostgreSQL (`$1` placeholders). */
function compile(build: (...args: any[]) => Compilable<unknown>, dialect: "sqlite" | "postgres"): Compiled {
  const markers = Array.from({ length: build.length }, (_, index) => ({ [PARAMETER]: index }) as Marker);
  const query = build(...(markers as never[]));
  const { sql, parameters } =
    dialect === "postgres"
      ? postgresCompiler.compileQuery((query as unknown as OperationNodeSource).toOperationNode() as never, createQueryId())
      : query.compile();
  const slots = parameters.map((value) => (typeof value === "object" && value !== null && PARAMETER in value ? (value as Marker)[PARAMETER] : -1));
  if (new Set(slots.filter((slot) => slot >= 0)).size < markers.length) throw new Error("a prepared query must use every parameter it declares");
  return { sql, parameters, slots };
}
