import { sql, type Kysely } from "kysely";
import { generatedId, growingId } from "../src/db/dialect";

// The durable event log: every change the gateway announces, appended in the same transaction as the change.
// Clients resume from a seq; retention may trim the oldest rows.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("events")
    .addColumn("seq", growingId(db), generatedId(db))
    .addColumn("conversation_id", "integer", (c) => c.notNull())
    // The user the event is also for when they are not (or no longer) a member, e.g. the one who left.
    .addColumn("user_id", "integer")
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("events_conversation_seq").on("events").columns(["conversation_id", "seq"]).execute();
  // Partial: almost every event has no user_id, and each index costs every insert.
  await db.schema.createIndex("events_user_seq").on("events").columns(["user_id", "seq"]).where(sql.ref("user_id"), "is not", null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("events").execute();
}
