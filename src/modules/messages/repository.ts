// Queries on messages. Reads run on the read connection (ctx.reader); history pages walk the (conversation_id, id)
// index: O(log n) at any depth. The hot ones are prepared once.
import { prepared, selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import type { Insertable, Updateable } from "kysely";
import type { Db } from "../../db";
import type { FileTable, MessageRow, MessageTable } from "../../db/schema";
import type { JobTx } from "../../core/commit";

function selectMessages() {
  return sqlBuilder
    .selectFrom("messages as m")
    .innerJoin("users as u", "u.id", "m.sender_id")
    .leftJoin("files as f", "f.id", "m.file_id")
    .select([
      "m.id",
      "m.conversation_id",
      "m.sender_id",
      "m.body",
      "m.file_id",
      "m.created_at",
      "m.client_id",
      "m.deleted_at",
      "m.edited_at",
      "m.reply_to_id",
      "m.reply_count",
      "m.reactions",
      "m.mentions",
      "m.pinned_at",
      "m.via_webhook",
      "m.display_name",
      "u.username as sender_username",
      "u.is_bot as sender_is_bot",
      "f.original_name as file_name",
      "f.size as file_size",
      "f.content_type as file_content_type",
      "f.expires_at as file_expires_at",
      "f.deleted_at as file_deleted_at",
    ]);
}
export type MessageRecord = Awaited<ReturnType<ReturnType<typeof selectMessages>["executeTakeFirstOrThrow"]>>;

const messageById = prepared((id: number) => selectMessages().where("m.id", "=", id));
const messageByClientId = prepared((senderId: number, clientId: string) =>
  selectMessages().where("m.sender_id", "=", senderId).where("m.client_id", "=", clientId),
);
const newestBefore = prepared((conversationId: number, before: number, limit: number) =>
  selectMessages().where("m.conversation_id", "=", conversationId).where("m.id", "<", before).orderBy("m.id", "desc").limit(limit),
);
const newestAt = prepared((conversationId: number, limit: number, offset: number) =>
  selectMessages().where("m.conversation_id", "=", conversationId).orderBy("m.id", "desc").limit(limit).offset(offset),
);
const oldestAfter = prepared((conversationId: number, after: number, limit: number) =>
  selectMessages().where("m.conversation_id", "=", conversationId).where("m.id", ">", after).orderBy("m.id", "asc").limit(limit),
);

export async function findMessage(reader: Connection, id: number): Promise<MessageRecord | undefined> {
  return (await messageById.run(reader, id))[0];
}

export async function findMessagesByIds(reader: Connection, ids: number[]): Promise<MessageRecord[]> {
  return ids.length ? selectRows(reader, selectMessages().where("m.id", "in", ids)) : [];
}

export async function findByClientId(reader: Connection, senderId: number, clientId: string): Promise<MessageRecord | undefined> {
  return (await messageByClientId.run(reader, senderId, clientId))[0];
}

export type HistoryWindow =
  | { kind: "offset"; offset: number; limit: number }
  | { kind: "before"; before: number | null; limit: number }
  | { kind: "after"; after: number; limit: number };

/** A page of history: newest first, except `after`, which reads forward (oldest first). */
export async function listHistory(reader: Connection, conversationId: number, window: HistoryWindow): Promise<MessageRecord[]> {
  switch (window.kind) {
    case "offset":
      return newestAt.run(reader, conversationId, window.limit, window.offset);
    case "before":
      return newestBefore.run(reader, conversationId, window.before ?? Number.MAX_SAFE_INTEGER, window.limit);
    case "after":
      return oldestAfter.run(reader, conversationId, window.after, window.limit);
  }
}

const repliesAfter = prepared((parentId: number, after: number, limit: number) =>
  selectMessages().where("m.reply_to_id", "=", parentId).where("m.id", ">", after).orderBy("m.id", "asc").limit(limit),
);
const pinsOf = prepared((conversationId: number) =>
  selectMessages().where("m.conversation_id", "=", conversationId).where("m.pinned_at", "is not", null).orderBy("m.pinned_at", "desc").orderBy("m.id", "desc"),
);

/** Replies to a message, oldest first, after a cursor. */
export async function listReplies(reader: Connection, parentId: number, after: number, limit: number): Promise<MessageRecord[]> {
  return repliesAfter.run(reader, parentId, after, limit);
}

/** A conversation's pinned messages, most recently pinned first. */
export async function listPins(reader: Connection, conversationId: number): Promise<MessageRecord[]> {
  return pinsOf.run(reader, conversationId);
}

/** Messages mentioning the user, newest first, in conversations the user is still a member of. */
export async function listMentionsOf(reader: Connection, userId: number, before: number, limit: number): Promise<MessageRecord[]> {
  return selectRows(
    reader,
    selectMessages()
      .innerJoin("message_mentions as mm", "mm.message_id", "m.id")
      .innerJoin("conversation_members as cm", (join) => join.onRef("cm.conversation_id", "=", "m.conversation_id").on("cm.user_id", "=", userId))
      .where("mm.user_id", "=", userId)
      .where("mm.message_id", "<", before)
      .orderBy("mm.message_id", "desc")
      .limit(limit),
  );
}

export type NewMessage = Pick<
  MessageRow,
  "conversation_id" | "sender_id" | "body" | "file_id" | "created_at" | "client_id" | "reply_to_id" | "mentions" | "via_webhook" | "display_name"
>;

const insertMessageRow = prepared(
  (
    conversationId: number,
    senderId: number,
    body: string,
    fileId: number | null,
    createdAt: number,
    clientId: string | null,
    replyToId: number | null,
    mentions: string | null,
    viaWebhook: number,
    displayName: string | null,
  ) =>
    sqlBuilder
      .insertInto("messages")
      .values({
        conversation_id: conversationId,
        sender_id: senderId,
        body,
        file_id: fileId,
        created_at: createdAt,
        client_id: clientId,
        reply_to_id: replyToId,
        mentions,
        via_webhook: viaWebhook,
        display_name: displayName,
      })
      .returning("id"),
);

/**
 * Inserts inside a group commit's transaction, on its fastest handle; in a PostgreSQL batch's pipeline, with an id
 * taken ahead, held back to go with the batch's other rows (see Pipeline).
 */
export async function insertMessage({ writer, pipeline }: Pick<JobTx, "writer" | "pipeline">, row: NewMessage): Promise<number> {
  if (pipeline) {
    const id = await pipeline.nextMessageId();
    pipeline.insertLater("messages", { id, ...row });
    return id;
  }
  const [inserted] = await insertMessageRow.run(
    writer,
    row.conversation_id,
    row.sender_id,
    row.body,
    row.file_id,
    row.created_at,
    row.client_id,
    row.reply_to_id,
    row.mentions,
    row.via_webhook,
    row.display_name,
  );
  return inserted!.id;
}

// Writes and reads inside a write transaction (the group commit's `tx.db`).

/** A message's row as stored, read inside a write transaction. */
export async function findMessageRow(trx: Db, id: number): Promise<MessageRow | undefined> {
  return trx.selectFrom("messages").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function insertFile(trx: Db, row: Omit<Insertable<FileTable>, "id" | "deleted_at">): Promise<number> {
  return (
    await trx
      .insertInto("files")
      .values({ ...row, deleted_at: null })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
}

/** One reply more (+1) or fewer (-1) under a parent; never below zero. */
export async function countReply(trx: Db, parentId: number, change: 1 | -1): Promise<void> {
  const query = trx
    .updateTable("messages")
    .set((eb) => ({ reply_count: eb("reply_count", change > 0 ? "+" : "-", 1) }))
    .where("id", "=", parentId);
  await (change > 0 ? query : query.where("reply_count", ">", 0)).execute();
}

export async function updateMessage(trx: Db, id: number, fields: Updateable<MessageTable>): Promise<void> {
  await trx.updateTable("messages").set(fields).where("id", "=", id).execute();
}

/** A sender's messages not yet deleted, oldest first. */
export async function listLiveMessagesOf(trx: Db, senderId: number): Promise<{ id: number; conversation_id: number }[]> {
  return trx.selectFrom("messages").select(["id", "conversation_id"]).where("sender_id", "=", senderId).where("deleted_at", "is", null).orderBy("id").execute();
}

/** Deletes every file row an account uploaded; returns their storage names. */
export async function deleteFilesOf(trx: Db, uploaderId: number): Promise<string[]> {
  return (await trx.deleteFrom("files").where("uploader_id", "=", uploaderId).returning("storage_name").execute()).map((f) => f.storage_name);
}

/**
 * Empties the live ones of these messages into tombstones: text, file row, reactions, mentions and pin gone, parents'
 * reply counts lowered. Returns the ids changed and the storage names of the files whose rows went.
 */
export async function tombstoneRows(trx: Db, messageIds: number[], now: number): Promise<{ ids: number[]; storageNames: string[] }> {
  const rows = await trx
    .selectFrom("messages")
    .select(["id", "file_id", "reply_to_id"])
    .where("id", "in", messageIds)
    .where("deleted_at", "is", null)
    .execute();
  if (rows.length === 0) return { ids: [], storageNames: [] };
  const ids = rows.map((r) => r.id);
  const fileIds = rows.map((r) => r.file_id).filter((id): id is number => id !== null);
  const files = fileIds.length ? await trx.selectFrom("files").select(["id", "storage_name"]).where("id", "in", fileIds).execute() : [];
  await trx
    .updateTable("messages")
    .set({ body: "", file_id: null, client_id: null, deleted_at: now, reactions: null, mentions: null, pinned_at: null, pinned_by: null })
    .where("id", "in", ids)
    .execute();
  for (const row of rows) if (row.reply_to_id !== null) await countReply(trx, row.reply_to_id, -1);
  await trx.deleteFrom("message_mentions").where("message_id", "in", ids).execute();
  if (files.length)
    await trx
      .deleteFrom("files")
      .where(
        "id",
        "in",
        files.map((f) => f.id),
      )
      .execute();
  return { ids, storageNames: files.map((f) => f.storage_name) };
}

/** Housekeeping: client_ids of messages sent before `before` may be used again; returns how many were forgotten. */
export async function forgetClientIdsBefore(db: Db, before: number): Promise<number> {
  const result = await db
    .updateTable("messages")
    .set({ client_id: null })
    .where("client_id", "is not", null)
    .where("created_at", "<", before)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** What a message view needs of each conversation. */
export async function conversationsForViews(reader: Connection, ids: number[]) {
  return selectRows(reader, sqlBuilder.selectFrom("conversations").select(["id", "kind", "direct_key"]).where("id", "in", ids));
}

/** The members of a conversation with these username keys, by id, but not `exceptId` (the author). */
export async function membersNamed(db: Db, conversationId: number, usernameKeys: string[], exceptId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("users as u")
    .innerJoin("conversation_members as m", (join) => join.onRef("m.user_id", "=", "u.id").on("m.conversation_id", "=", conversationId))
    .select("u.id")
    .where("u.username_key", "in", usernameKeys)
    .where("u.id", "!=", exceptId)
    .orderBy("u.id")
    .execute();
  return rows.map((r) => r.id);
}

/** Replaces a message's mention rows (on send and on edit). */
export async function storeMentions(trx: Db, messageId: number, conversationId: number, userIds: number[]): Promise<void> {
  await trx.deleteFrom("message_mentions").where("message_id", "=", messageId).execute();
  if (userIds.length)
    await trx
      .insertInto("message_mentions")
      .values(userIds.map((user_id) => ({ user_id, message_id: messageId, conversation_id: conversationId })))
      .execute();
}

/** Conversations and their own retention: all of them, or (`onlyOwn`) those with one. */
export async function listRetentions(db: Db, onlyOwn: boolean): Promise<{ id: number; retention_days: number | null }[]> {
  let query = db.selectFrom("conversations").select(["id", "retention_days"]);
  if (onlyOwn) query = query.where("retention_days", "is not", null);
  return query.execute();
}

/** A conversation's messages after `after`, oldest first (what retention needs of each). */
export async function listOldestAfter(db: Db, conversationId: number, after: number, limit: number) {
  return db
    .selectFrom("messages")
    .select(["id", "created_at", "reply_count", "reply_to_id", "file_id", "deleted_at"])
    .where("conversation_id", "=", conversationId)
    .where("id", ">", after)
    .orderBy("id")
    .limit(limit)
    .execute();
}

/** Deletes message rows (already tombstoned) and every logged event about them. */
export async function deleteMessages(trx: Db, ids: number[]): Promise<void> {
  await trx.deleteFrom("events").where("message_id", "in", ids).execute();
  await trx.deleteFrom("messages").where("id", "in", ids).execute();
}

/** Which of these messages still have replies. */
export async function withReplies(trx: Db, ids: number[]): Promise<number[]> {
  return (await trx.selectFrom("messages").select("id").where("id", "in", ids).where("reply_count", ">", 0).execute()).map((m) => m.id);
}

/** Which of these upload names a file row still points at. */
export async function knownStorageNames(db: Db, names: string[]): Promise<string[]> {
  return (await db.selectFrom("files").select("storage_name").where("storage_name", "in", names).execute()).map((row) => row.storage_name);
}
