// Writes of the import, with the original's ids. The per-message ones are prepared once and run on the writer
// connection inside the import's transaction (a large history means hundreds of thousands of rows).
import type { Db } from "../../db";
import { prepared, selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import type { Insertable } from "kysely";
import type { ConversationRow, MemberTable, NewUser } from "../../db/schema";
import type { StoredUpload } from "../files/storage";

export async function insertUsers(trx: Db, rows: Array<NewUser & { id: number }>): Promise<void> {
  for (const row of rows) await trx.insertInto("users").values(row).execute();
}

export async function insertConversation(trx: Db, row: ConversationRow): Promise<void> {
  await trx.insertInto("conversations").values(row).execute();
}

export async function insertMembers(trx: Db, rows: Insertable<MemberTable>[]): Promise<void> {
  if (rows.length) await trx.insertInto("conversation_members").values(rows).execute();
}

const insertFileRow = prepared(
  (
    uploaderId: number,
    storageName: string,
    originalName: string,
    contentType: string,
    size: number,
    sha256: string,
    createdAt: number,
    expiresAt: number | null,
  ) =>
    sqlBuilder
      .insertInto("files")
      .values({
        uploader_id: uploaderId,
        storage_name: storageName,
        original_name: originalName,
        content_type: contentType,
        size,
        sha256,
        created_at: createdAt,
        expires_at: expiresAt,
        deleted_at: null,
      })
      .returning("id"),
);

export async function insertFile(writer: Connection, uploaderId: number, stored: StoredUpload, createdAt: number, expiresAt: number | null): Promise<number> {
  const [row] = await insertFileRow.run(
    writer,
    uploaderId,
    stored.storage_name,
    stored.original_name,
    stored.content_type,
    stored.size,
    stored.sha256,
    createdAt,
    expiresAt,
  );
  return row!.id;
}

const insertMessageRow = prepared((id: number, conversationId: number, senderId: number, body: string, fileId: number | null, createdAt: number) =>
  sqlBuilder
    .insertInto("messages")
    .values({ id, conversation_id: conversationId, sender_id: senderId, body, file_id: fileId, created_at: createdAt, client_id: null }),
);

export async function insertMessage(
  writer: Connection,
  id: number,
  conversationId: number,
  senderId: number,
  body: string,
  fileId: number | null,
  createdAt: number,
): Promise<void> {
  await insertMessageRow.run(writer, id, conversationId, senderId, body, fileId, createdAt);
}

/** Whether a content table holds any row, on a transaction, the database or a raw SQLite connection. */
export async function hasRows(connection: Connection, table: "users" | "conversations" | "messages"): Promise<boolean> {
  return (await selectRows(connection, sqlBuilder.selectFrom(table).select("id").limit(1))).length > 0;
}
