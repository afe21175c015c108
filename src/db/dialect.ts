// The few places where SQLite and PostgreSQL need different SQL, decided once per database handle.
import type { ColumnDefinitionBuilder, Kysely } from "kysely";

/**
 * PostgreSQL runs DDL inside transactions, SQLite (as Kysely drives it) does not. A capability, not a class name:
 * class names do not survive the binary's minifier, and kysely-bun-sqlite loads its own copy of Kysely's classes.
 */
export const isPostgres = (db: Kysely<any>): boolean => db.getExecutor().adapter.supportsTransactionalDdl;

/** An integer primary key the database numbers itself: AUTOINCREMENT on SQLite (never reused), identity on PostgreSQL. */
export const generatedId = (db: Kysely<any>) => (column: ColumnDefinitionBuilder) =>
  isPostgres(db) ? column.primaryKey().generatedByDefaultAsIdentity() : column.primaryKey().autoIncrement();
