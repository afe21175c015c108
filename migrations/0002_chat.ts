import { sql, type Kysely } from "kysely";
import { generatedId, growingId } from "../src/db/dialect";

export async function up(db: Kysely<any>): Promise<void> {
  // One table, one id sequence for groups and direct conversations: a conversation id is never ambiguous.
  await db.schema
    .createTable("conversations")
    .addColumn("id", "integer", generatedId(db))
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('group', 'direct')`))
    .addColumn("name", "text")
    .addColumn("name_key", "text", (c) => c.unique())
    .addColumn("direct_key", "text", (c) => c.unique())
    .addColumn("created_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("conversation_members")
    .addColumn("conversation_id", "integer", (c) => c.notNull().references("conversations.id").onDelete("cascade"))
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull().defaultTo("member"))
    .addColumn("joined_at", "bigint", (c) => c.notNull())
    .addColumn("last_read_message_id", growingId(db))
    .addPrimaryKeyConstraint("conversation_members_pk", ["conversation_id", "user_id"])
    .execute();
  await db.schema.createIndex("conversation_members_user").on("conversation_members").columns(["user_id", "conversation_id"]).execute();

  await db.schema
    .createTable("files")
    .addColumn("id", growingId(db), generatedId(db))
    .addColumn("uploader_id", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("storage_name", "text", (c) => c.notNull().unique())
    .addColumn("original_name", "text", (c) => c.notNull())
    .addColumn("content_type", "text", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("deleted_at", "bigint")
    .execute();
  await db.schema.createIndex("files_expires_at").on("files").column("expires_at").where(sql.ref("deleted_at"), "is", null).execute();

  await db.schema
    .createTable("messages")
    .addColumn("id", growingId(db), generatedId(db))
    .addColumn("conversation_id", "integer", (c) => c.notNull().references("conversations.id").onDelete("cascade"))
    .addColumn("sender_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("file_id", growingId(db), (c) => c.references("files.id").onDelete("set null"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("client_id", "text")
    .execute();
  // History pages, newest first, and "last message" lookups: O(log n) at any depth.
  await db.schema.createIndex("messages_conversation_id").on("messages").columns(["conversation_id", "id"]).execute();
  await db.schema.createIndex("messages_file_id").on("messages").column("file_id").where(sql.ref("file_id"), "is not", null).execute();
  await db.schema
    .createIndex("messages_sender_client_id")
    .unique()
    .on("messages")
    .columns(["sender_id", "client_id"])
    .where(sql.ref("client_id"), "is not", null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["messages", "files", "conversation_members", "conversations"]) await db.schema.dropTable(table).execute();
}
