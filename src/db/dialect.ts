// The few places where SQLite and PostgreSQL need different SQL, decided once per database handle.
import type { ColumnDefinitionBuilder, Kysely } from "kysely";

/**
 * PostgreSQL runs DDL inside transactions, SQLite (as Kysely drives it) does not. A capability, not a class name:
 * class names do not survive the binary's minifier, and kysely-bun-sqlite loads its own copy of Kysely's classes.
 */
export const isPostgres = (db: Kysely<any>): boolean => db.getExecutor().adapter.supportsTransactionalDdl;

/**
 * The column type of ids that grow with traffic (messages, files, the event log's seq, and columns pointing at them):
 * PostgreSQL's `integer` stops at 2^31 (weeks of events for a busy cluster), so bigint there; SQLite's INTEGER is
 * 64-bit already, and an INTEGER PRIMARY KEY must be spelled exactly so to be the rowid.
 */
export const growingId = (db: Kysely<any>) => (isPostgres(db) ? "bigint" : "integer");

/** An integer primary key the database numbers itself: AUTOINCREMENT on SQLite (never reused), identity on PostgreSQL. */
export const generatedId = (db: Kysely<any>) => (column: ColumnDefinitionBuilder) =>
  isPostgres(db) ? column.primaryKey().generatedByDefaultAsIdentity() : column.primaryKey().autoIncrement();

/**
 * Whether `error` is the database refusing a duplicate in the unique index over `table`(`columns`). SQLite says
 * "UNIQUE constraint failed: users.email"; PostgreSQL answers SQLSTATE 23505 with "Key (email)=(…) already exists."
 */
export function isUniqueViolation(error: unknown, table: string, columns: string[]): boolean {
  const { message, errno, code, detail } = (error ?? {}) as { message?: unknown; errno?: unknown; code?: unknown; detail?: unknown };
  if (String(message).includes("UNIQUE constraint failed")) return String(message).includes(columns.map((c) => `${table}.${c}`).join(", "));
  const sqlState = String(errno) === "23505" || String(code) === "23505";
  return sqlState && String(detail).includes(`(${columns.join(", ")})=`);
}
