import type { Kysely } from "kysely";
import { generatedId, growingId } from "../src/db/dialect";

// Outgoing webhooks and their durable delivery queue. A webhook copies its conversation's logged events after
// `cursor_seq` into deliveries (in one transaction with moving the cursor); one node at a time works a webhook,
// holding `lease_until` (an atomic UPDATE … WHERE the lease expired), and delivers its queue in order.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("outgoing_webhooks")
    .addColumn("id", "integer", generatedId(db))
    .addColumn("conversation_id", "integer", (c) => c.notNull().references("conversations.id").onDelete("cascade"))
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("events", "text", (c) => c.notNull())
    .addColumn("bot_id", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("cursor_seq", growingId(db), (c) => c.notNull())
    .addColumn("lease_until", "bigint")
    .addColumn("lease_owner", "text")
    .addColumn("disabled_at", "bigint")
    .addColumn("disabled_reason", "text")
    .execute();
  await db.schema.createIndex("outgoing_webhooks_conversation_id").on("outgoing_webhooks").column("conversation_id").execute();

  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", growingId(db), generatedId(db))
    .addColumn("webhook_id", "integer", (c) => c.notNull().references("outgoing_webhooks.id").onDelete("cascade"))
    .addColumn("event_seq", growingId(db), (c) => c.notNull())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("last_attempt_at", "bigint")
    .addColumn("last_status", "integer")
    .addColumn("last_error", "text")
    .addColumn("response_ms", "integer")
    .execute();
  await db.schema.createIndex("webhook_deliveries_queue").on("webhook_deliveries").columns(["webhook_id", "status", "id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("outgoing_webhooks").execute();
}
