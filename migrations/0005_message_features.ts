import { sql, type Kysely } from "kysely";
import { growingId, isPostgres } from "../src/db/dialect";

// Edits, replies, reactions, mentions, pins, read state with mute, per-group retention, and private events.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("messages").addColumn("edited_at", "bigint").execute();
  await db.schema
    .alterTable("messages")
    .addColumn("reply_to_id", growingId(db), (c) => c.references("messages.id").onDelete("set null"))
    .execute();
  // Kept with the row so a history page needs no extra query: replies that are not deleted, reactions as
  // {"emoji": [user ids in order]}, mentioned user ids.
  await db.schema
    .alterTable("messages")
    .addColumn("reply_count", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("messages").addColumn("reactions", "text").execute();
  await db.schema.alterTable("messages").addColumn("mentions", "text").execute();
  await db.schema.alterTable("messages").addColumn("pinned_at", "bigint").execute();
  await db.schema.alterTable("messages").addColumn("pinned_by", "integer").execute();

  // Unread counts walk (conversation_id, id) past the last-read id; with the sender and tombstone in the index the
  // count never touches the table. It serves history pages as the old index did.
  await db.schema.dropIndex("messages_conversation_id").execute();
  await db.schema.createIndex("messages_conversation_id").on("messages").columns(["conversation_id", "id", "sender_id", "deleted_at"]).execute();
  await db.schema.createIndex("messages_reply_to").on("messages").columns(["reply_to_id", "id"]).where(sql.ref("reply_to_id"), "is not", null).execute();
  await db.schema.createIndex("messages_pinned").on("messages").columns(["conversation_id", "pinned_at"]).where(sql.ref("pinned_at"), "is not", null).execute();

  await db.schema
    .createTable("message_mentions")
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("message_id", growingId(db), (c) => c.notNull().references("messages.id").onDelete("cascade"))
    .addColumn("conversation_id", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("message_mentions_pk", ["user_id", "message_id"])
    .execute();
  await db.schema.createIndex("message_mentions_unread").on("message_mentions").columns(["user_id", "conversation_id", "message_id"]).execute();
  await db.schema.createIndex("message_mentions_message").on("message_mentions").column("message_id").execute();

  await db.schema
    .alterTable("conversation_members")
    .addColumn("muted", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  // Per group: messages older than this many days are deleted by the sweeper (null: the server's setting).
  await db.schema.alterTable("conversations").addColumn("retention_days", "integer").execute();
  // A private event is for `user_id` alone (their unread counts, their mute), not for the conversation's members.
  await db.schema
    .alterTable("events")
    .addColumn("private", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  // The message an event carries, so deleting a message can scrub its text from the log too.
  await db.schema.alterTable("events").addColumn("message_id", growingId(db)).execute();
  await db.schema.createIndex("events_message").on("events").column("message_id").where(sql.ref("message_id"), "is not", null).execute();
  const loggedId = isPostgres(db) ? sql`(data::json ->> 'id')::integer` : sql`json_extract(data, '$.id')`;
  await sql`UPDATE events SET message_id = ${loggedId} WHERE type IN ('message.created', 'message.deleted')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("events_message").execute();
  await db.schema.alterTable("events").dropColumn("message_id").execute();
  await db.schema.alterTable("events").dropColumn("private").execute();
  await db.schema.alterTable("conversations").dropColumn("retention_days").execute();
  await db.schema.alterTable("conversation_members").dropColumn("muted").execute();
  await db.schema.dropTable("message_mentions").execute();
  for (const index of ["messages_pinned", "messages_reply_to", "messages_conversation_id"]) await db.schema.dropIndex(index).execute();
  await db.schema.createIndex("messages_conversation_id").on("messages").columns(["conversation_id", "id"]).execute();
  for (const column of ["pinned_by", "pinned_at", "mentions", "reactions", "reply_count", "reply_to_id", "edited_at"]) {
    await db.schema.alterTable("messages").dropColumn(column).execute();
  }
}
