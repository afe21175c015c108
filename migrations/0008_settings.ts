import type { Kysely } from "kysely";

// Server-wide settings kept in the database, so every node sharing it reads the same: the token signing secret
// when PARLEY_JWT_SECRET is not given and the database is PostgreSQL (SQLite keeps it in the data dir, as before).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("settings")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("settings").execute();
}
