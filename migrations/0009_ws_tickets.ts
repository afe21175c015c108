import type { Kysely } from "kysely";

// Single-use tickets for opening a WebSocket without the access token in its URL: each ticket's SHA-256 (never the
// ticket itself), the access token's claims it stands for, and when it expires. In the database, so any node
// sharing it can redeem a ticket another node issued.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("ws_tickets")
    .addColumn("hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("claims", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("ws_tickets_expires_at").on("ws_tickets").column("expires_at").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("ws_tickets").execute();
}
