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

export interface PreparedQuery<Args extends unknown[], Row> {
  /** Through Kysely (a transaction, or the database). */
  run(executor: Kysely<any>, ...args: Args): Promise<Row[]>;
  /** Synchronously on a raw SQLite connection: the read connection, or the writer inside a group commit. */
  sync(connection: SqliteDatabase, ...args: Args): Row[];
}

/**
 * `prepared((a, b) => db.selectFrom(...).where("x", "=", a)...)`; then `query.run(db, a, b)` or `query.sync(reader, a, b)`.
 * The builder receives placeholders: use each only as a value (not in `in (...)` lists, not to branch on).
 */
export function prepared<Args extends unknown[], Row>(build: (...args: Args) => Compilable<Row>): PreparedQuery<Args, Row> {
  // Compiled on first use (per database kind), not at module load: a dozen cold compilations would add to start-up time.
  let sqlite: Compiled | undefined;
  let postgres: Compiled | undefined;
  const bind = ({ parameters, slots }: Compiled, args: unknown[]) => parameters.map((value, i) => (slots[i]! >= 0 ? args[slots[i]!] : value));
  return {
    async run(executor, ...args) {
      const compiled = isPostgres(executor) ? (postgres ??= compile(build, "postgres")) : (sqlite ??= compile(build, "sqlite"));
      return (await executor.executeQuery<Row>(CompiledQuery.raw(compiled.sql, bind(compiled, args)))).rows;
    },
    sync(connection, ...args) {
      const compiled = (sqlite ??= compile(build, "sqlite"));
      return connection.query(compiled.sql).all(...(bind(compiled, args) as never[])) as Row[];
    },
  };
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
    dialect === "postgres" ? postgresCompiler.compileQuery((query as unknown as OperationNodeSource).toOperationNode() as never, createQueryId()) : query.compile();
  const slots = parameters.map((value) => (typeof value === "object" && value !== null && PARAMETER in value ? (value as Marker)[PARAMETER] : -1));
  if (new Set(slots.filter((slot) => slot >= 0)).size < markers.length) throw new Error("a prepared query must use every parameter it declares");
  return { sql, parameters, slots };
}
