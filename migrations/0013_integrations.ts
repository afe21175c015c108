import type { Kysely } from "kysely";
import { generatedId } from "../src/db/dialect";

// Bot accounts (users.is_bot), API tokens (only their SHA-256 kept), incoming webhooks (each posts as a bot of its
// own; only the secret's SHA-256 kept), and the two marks a webhook's message carries (via_webhook, display_name).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("users")
    .addColumn("is_bot", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("messages")
    .addColumn("via_webhook", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("messages").addColumn("display_name", "text").execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "integer", generatedId(db))
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull().unique())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("last_used_at", "bigint")
    .execute();
  await db.schema.createIndex("api_tokens_user_id").on("api_tokens").column("user_id").execute();

  await db.schema
    .createTable("incoming_webhooks")
    .addColumn("id", "integer", generatedId(db))
    .addColumn("conversation_id", "integer", (c) => c.notNull().references("conversations.id").onDelete("cascade"))
    .addColumn("bot_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("secret_hash", "text", (c) => c.notNull())
    .addColumn("created_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("incoming_webhooks_conversation_id").on("incoming_webhooks").column("conversation_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("incoming_webhooks").execute();
  await db.schema.dropTable("api_tokens").execute();
  await db.schema.alterTable("messages").dropColumn("display_name").execute();
  await db.schema.alterTable("messages").dropColumn("via_webhook").execute();
  await db.schema.alterTable("users").dropColumn("is_bot").execute();
}
