// Queries on messages. History reads walk the (conversation_id, id) index: O(log n) at any depth.
import type { Db } from "../../db";
import type { MessageRow } from "../../db/schema";

function selectMessages(db: Db) {
  return db
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
      "u.username as sender_username",
      "f.original_name as file_name",
      "f.size as file_size",
      "f.content_type as file_content_type",
      "f.expires_at as file_expires_at",
      "f.deleted_at as file_deleted_at",
    ]);
}
export type MessageRecord = Awaited<ReturnType<ReturnType<typeof selectMessages>["executeTakeFirstOrThrow"]>>;

export function findMessage(db: Db, id: number): Promise<MessageRecord | undefined> {
  return selectMessages(db).where("m.id", "=", id).executeTakeFirst();
}

export function findMessagesByIds(db: Db, ids: number[]): Promise<MessageRecord[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return selectMessages(db).where("m.id", "in", ids).execute();
}

export function findByClientId(db: Db, senderId: number, clientId: string): Promise<MessageRecord | undefined> {
  return selectMessages(db).where("m.sender_id", "=", senderId).where("m.client_id", "=", clientId).executeTakeFirst();
}

export type HistoryWindow =
  | { kind: "offset"; offset: number; limit: number }
  | { kind: "before"; before: number | null; limit: number }
  | { kind: "after"; after: number; limit: number };

/** A page of history: newest first, except `after`, which reads forward (oldest first). */
export function listHistory(db: Db, conversationId: number, window: HistoryWindow): Promise<MessageRecord[]> {
  const query = selectMessages(db).where("m.conversation_id", "=", conversationId).limit(window.limit);
  switch (window.kind) {
    case "offset":
      return query.orderBy("m.id", "desc").offset(window.offset).execute();
    case "before":
      return (window.before === null ? query : query.where("m.id", "<", window.before)).orderBy("m.id", "desc").execute();
    case "after":
      return query.where("m.id", ">", window.after).orderBy("m.id", "asc").execute();
  }
}

export async function insertMessage(db: Db, row: Omit<MessageRow, "id">): Promise<number> {
  const inserted = await db.insertInto("messages").values(row).returning("id").executeTakeFirstOrThrow();
  return inserted.id;
}
