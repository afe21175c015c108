// Queries of webhooks: incoming ones (a conversation's Slack-compatible URLs) and outgoing ones with their delivery queue.
import type { Insertable, Updateable } from "kysely";
import type { Db } from "../../db";
import { prepared, selectFirst, selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import type { IncomingWebhookTable, OutgoingWebhookTable, WebhookDeliveryTable } from "../../db/schema";

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

// Outgoing webhooks and their delivery queue.

export async function insertOutgoing(db: Db, row: Insertable<OutgoingWebhookTable>): Promise<number> {
  return (await db.insertInto("outgoing_webhooks").values(row).returning("id").executeTakeFirstOrThrow()).id;
}

export function findOutgoing(connection: Connection, id: number) {
  return selectFirst(connection, sqlBuilder.selectFrom("outgoing_webhooks").selectAll().where("id", "=", id));
}
export type OutgoingRow = NonNullable<Awaited<ReturnType<typeof findOutgoing>>>;

export function listOutgoing(connection: Connection, conversationId: number) {
  return selectRows(connection, sqlBuilder.selectFrom("outgoing_webhooks").selectAll().where("conversation_id", "=", conversationId).orderBy("id"));
}

export async function deleteOutgoing(db: Db, id: number): Promise<void> {
  await db.deleteFrom("outgoing_webhooks").where("id", "=", id).execute();
}

const idleOutgoing = prepared((now: number) =>
  sqlBuilder
    .selectFrom("outgoing_webhooks")
    .select("id")
    .where("disabled_at", "is", null)
    .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
    .orderBy("id"),
);

/** Enabled webhooks no node holds now: candidates for this node's turn (asked after every event published). */
export function idleOutgoingIds(connection: Connection, now: number) {
  return idleOutgoing.run(connection, now);
}

/** Takes (or extends) the lease on a webhook for `node`: of several nodes at once exactly one gets it (the UPDATE is atomic). */
export async function takeLease(db: Db, id: number, node: string, now: number, until: number): Promise<boolean> {
  const result = await db
    .updateTable("outgoing_webhooks")
    .set({ lease_until: until, lease_owner: node })
    .where("id", "=", id)
    .where("disabled_at", "is", null)
    .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now), eb("lease_owner", "=", node)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function releaseLease(db: Db, id: number, node: string): Promise<void> {
  await db.updateTable("outgoing_webhooks").set({ lease_until: null, lease_owner: null }).where("id", "=", id).where("lease_owner", "=", node).execute();
}

/** A conversation's logged events after `after` that every member sees (not private ones), oldest first. */
export function eventsAfter(connection: Connection, conversationId: number, after: number, limit: number) {
  return selectRows(
    connection,
    sqlBuilder
      .selectFrom("events")
      .select(["seq", "type", "conversation_id", "data"])
      .where("conversation_id", "=", conversationId)
      .where("seq", ">", after)
      .where("private", "=", 0)
      .orderBy("seq")
      .limit(limit),
  );
}

export async function newestEventSeq(connection: Connection): Promise<number> {
  const row = await selectFirst(
    connection,
    sqlBuilder.selectFrom("events").select((eb) => eb.fn.max("seq").as("seq")),
  );
  return Number(row?.seq ?? 0);
}

/** Queues deliveries and moves the cursor, in the caller's transaction; nothing if another node moved it first. */
export async function queueDeliveries(db: Db, webhookId: number, from: number, to: number, rows: Insertable<WebhookDeliveryTable>[]): Promise<void> {
  const moved = await db.updateTable("outgoing_webhooks").set({ cursor_seq: to }).where("id", "=", webhookId).where("cursor_seq", "=", from).executeTakeFirst();
  if (moved.numUpdatedRows > 0n && rows.length) await db.insertInto("webhook_deliveries").values(rows).execute();
}

/** The webhook's oldest undelivered delivery: the queue goes in order, so it waits for this one. */
export function nextDelivery(connection: Connection, webhookId: number) {
  return selectFirst(
    connection,
    sqlBuilder.selectFrom("webhook_deliveries").selectAll().where("webhook_id", "=", webhookId).where("status", "=", "pending").orderBy("id").limit(1),
  );
}
export type DeliveryRow = NonNullable<Awaited<ReturnType<typeof nextDelivery>>>;

export async function recordAttempt(db: Db, id: number, changes: Updateable<WebhookDeliveryTable>): Promise<void> {
  await db
    .updateTable("webhook_deliveries")
    .set((eb) => ({ ...changes, attempts: eb("attempts", "+", 1) }))
    .where("id", "=", id)
    .execute();
}

export async function disableOutgoing(db: Db, id: number, now: number, reason: string): Promise<void> {
  await db
    .updateTable("outgoing_webhooks")
    .set({ disabled_at: now, disabled_reason: reason, lease_until: null, lease_owner: null })
    .where("id", "=", id)
    .execute();
}

export function listDeliveries(connection: Connection, webhookId: number, limit: number) {
  return selectRows(connection, sqlBuilder.selectFrom("webhook_deliveries").selectAll().where("webhook_id", "=", webhookId).orderBy("id", "desc").limit(limit));
}

/** Puts a delivery back in the queue by hand (a fresh day of retries), and turns its webhook back on. */
export async function retryDelivery(db: Db, webhookId: number, deliveryId: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable("webhook_deliveries")
    .set({ status: "pending", next_attempt_at: now, created_at: now })
    .where("id", "=", deliveryId)
    .where("webhook_id", "=", webhookId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await db.updateTable("outgoing_webhooks").set({ disabled_at: null, disabled_reason: null }).where("id", "=", webhookId).execute();
  return true;
}
