// Queries of webhooks: incoming ones (a conversation's Slack-compatible URLs) and outgoing ones with their delivery queue.
import type { Insertable } from "kysely";
import type { Db } from "../../db";
import { selectFirst, selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import type { IncomingWebhookTable } from "../../db/schema";

function selectIncoming() {
  return sqlBuilder
    .selectFrom("incoming_webhooks as w")
    .innerJoin("users as u", "u.id", "w.bot_id")
    .select([
      "w.id",
      "w.conversation_id",
      "w.bot_id",
      "w.name",
      "w.secret_hash",
      "w.created_by",
      "w.created_at",
      "u.username as bot_username",
      "u.is_active as bot_active",
    ]);
}
export type IncomingRecord = NonNullable<Awaited<ReturnType<typeof findIncoming>>>;

export function findIncoming(connection: Connection, id: number) {
  return selectFirst(connection, selectIncoming().where("w.id", "=", id));
}

export function listIncoming(connection: Connection, conversationId: number) {
  return selectRows(connection, selectIncoming().where("w.conversation_id", "=", conversationId).orderBy("w.id"));
}

export async function insertIncoming(db: Db, row: Insertable<IncomingWebhookTable>): Promise<number> {
  return (await db.insertInto("incoming_webhooks").values(row).returning("id").executeTakeFirstOrThrow()).id;
}

export async function updateIncoming(db: Db, id: number, changes: { name?: string; secret_hash?: string }): Promise<void> {
  await db.updateTable("incoming_webhooks").set(changes).where("id", "=", id).execute();
}

export async function deleteIncoming(db: Db, id: number): Promise<void> {
  await db.deleteFrom("incoming_webhooks").where("id", "=", id).execute();
}

/** Whether another webhook still posts as this bot (a direct conversation's bot serves all of its webhooks). */
export async function botStillUsed(db: Db, botId: number): Promise<boolean> {
  return (await db.selectFrom("incoming_webhooks").select("id").where("bot_id", "=", botId).limit(1).executeTakeFirst()) !== undefined;
}

export async function setUserFields(db: Db, userId: number, fields: { first_name?: string; is_active?: number }): Promise<void> {
  await db.updateTable("users").set(fields).where("id", "=", userId).execute();
}

/** The members of a conversation with whether each is a bot. */
export function membersOf(connection: Connection, conversationId: number) {
  return selectRows(
    connection,
    sqlBuilder
      .selectFrom("conversation_members as m")
      .innerJoin("users as u", "u.id", "m.user_id")
      .select(["m.user_id", "m.role", "u.is_bot", "u.username", "u.is_active"])
      .where("m.conversation_id", "=", conversationId),
  );
}
