// Queries built once with Kysely's builder and compiled once, then run with new parameters: building and
// compiling a query costs more than SQLite takes to run most of ours, and these run on every request.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { CompiledQuery, DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type Compilable } from "kysely";
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
  const markers = Array.from({ length: build.length }, (_, index) => ({ [PARAMETER]: index }) as Marker);
  const compiled = build(...(markers as unknown as Args)).compile();
  const slots = compiled.parameters.map((value) => (typeof value === "object" && value !== null && PARAMETER in value ? (value as Marker)[PARAMETER] : -1));
  if (new Set(slots.filter((slot) => slot >= 0)).size < markers.length) throw new Error("a prepared query must use every parameter it declares");
  const bind = (args: unknown[]) => compiled.parameters.map((value, i) => (slots[i]! >= 0 ? args[slots[i]!] : value));
  return {
    async run(executor, ...args) {
      return (await executor.executeQuery<Row>(CompiledQuery.raw(compiled.sql, bind(args)))).rows;
    },
    sync(connection, ...args) {
      return connection.query(compiled.sql).all(...(bind(args) as never[])) as Row[];
    },
  };
}
