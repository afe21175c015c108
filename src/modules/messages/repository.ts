// Queries on messages. Reads run on the read connection; history pages walk the (conversation_id, id)
// index: O(log n) at any depth. The hot ones are prepared once.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { querySync } from "../../db";
import { prepared, sqlBuilder } from "../../db/prepared";
import type { MessageRow } from "../../db/schema";

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
      "u.username as sender_username",
      "f.original_name as file_name",
      "f.size as file_size",
      "f.content_type as file_content_type",
      "f.expires_at as file_expires_at",
      "f.deleted_at as file_deleted_at",
    ]);
}
export type MessageRecord = Awaited<ReturnType<ReturnType<typeof selectMessages>["executeTakeFirstOrThrow"]>>;

const messageById = prepared((id: number) => selectMessages().where("m.id", "=", id));
const messageByClientId = prepared((senderId: number, clientId: string) => selectMessages().where("m.sender_id", "=", senderId).where("m.client_id", "=", clientId));
const newestBefore = prepared((conversationId: number, before: number, limit: number) =>
  selectMessages().where("m.conversation_id", "=", conversationId).where("m.id", "<", before).orderBy("m.id", "desc").limit(limit),
);
const newestAt = prepared((conversationId: number, limit: number, offset: number) =>
  selectMessages().where("m.conversation_id", "=", conversationId).orderBy("m.id", "desc").limit(limit).offset(offset),
);
const oldestAfter = prepared((conversationId: number, after: number, limit: number) =>
  selectMessages().where("m.conversation_id", "=", conversationId).where("m.id", ">", after).orderBy("m.id", "asc").limit(limit),
);

export function findMessage(reader: SqliteDatabase, id: number): MessageRecord | undefined {
  return messageById.sync(reader, id)[0];
}

export function findMessagesByIds(reader: SqliteDatabase, ids: number[]): MessageRecord[] {
  return ids.length ? querySync(reader, selectMessages().where("m.id", "in", ids)) : [];
}

export function findByClientId(reader: SqliteDatabase, senderId: number, clientId: string): MessageRecord | undefined {
  return messageByClientId.sync(reader, senderId, clientId)[0];
}

export type HistoryWindow =
  | { kind: "offset"; offset: number; limit: number }
  | { kind: "before"; before: number | null; limit: number }
  | { kind: "after"; after: number; limit: number };

/** A page of history: newest first, except `after`, which reads forward (oldest first). */
export function listHistory(reader: SqliteDatabase, conversationId: number, window: HistoryWindow): MessageRecord[] {
  switch (window.kind) {
    case "offset":
      return newestAt.sync(reader, conversationId, window.limit, window.offset);
    case "before":
      return newestBefore.sync(reader, conversationId, window.before ?? Number.MAX_SAFE_INTEGER, window.limit);
    case "after":
      return oldestAfter.sync(reader, conversationId, window.after, window.limit);
  }
}

const insertMessageRow = prepared((conversationId: number, senderId: number, body: string, fileId: number | null, createdAt: number, clientId: string | null) =>
  sqlBuilder
    .insertInto("messages")
    .values({ conversation_id: conversationId, sender_id: senderId, body, file_id: fileId, created_at: createdAt, client_id: clientId })
    .returning("id"),
);

/** Inserts on the writer connection; call only inside a transaction (a group commit's job). */
export function insertMessage(writer: SqliteDatabase, row: Omit<MessageRow, "id" | "deleted_at">): number {
  return insertMessageRow.sync(writer, row.conversation_id, row.sender_id, row.body, row.file_id, row.created_at, row.client_id)[0]!.id;
}
