import type { Kysely } from "kysely";
import { generatedId } from "../src/db/dialect";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "integer", generatedId(db))
    .addColumn("username", "text", (c) => c.notNull())
    .addColumn("username_key", "text", (c) => c.notNull().unique())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("first_name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("last_name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("is_active", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("is_staff", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("is_superuser", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("date_joined", "bigint", (c) => c.notNull())
    .addColumn("token_generation", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("revoked_tokens")
    .addColumn("jti", "text", (c) => c.primaryKey())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("revoked_tokens_expires_at").on("revoked_tokens").column("expires_at").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("revoked_tokens").execute();
  await db.schema.dropTable("users").execute();
}
