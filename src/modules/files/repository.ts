// Queries on file rows: a message's attachment, a file by id, and the expiry sweep's.
import type { Db } from "../../db";
import { prepared, sqlBuilder, type Connection } from "../../db/prepared";
import type { FileRow } from "../../db/schema";

const attachmentOf = prepared((messageId: number) =>
  sqlBuilder
    .selectFrom("messages as m")
    .innerJoin("files as f", "f.id", "m.file_id")
    .select(["m.conversation_id", "f.id", "f.original_name", "f.size", "f.content_type", "f.expires_at", "f.deleted_at"])
    .where("m.id", "=", messageId),
);
const fileById = prepared((id: number) => sqlBuilder.selectFrom("files").selectAll().where("id", "=", id));

/** The attachment of a message, with the message's conversation. */
export async function findAttachment(reader: Connection, messageId: number) {
  return (await attachmentOf.run(reader, messageId))[0];
}

export async function findFile(reader: Connection, id: number): Promise<FileRow | undefined> {
  return (await fileById.run(reader, id))[0];
}

/** Files past their expiry whose bytes are still kept, up to `limit`. */
export async function listExpired(db: Db, now: number, limit: number): Promise<{ id: number; storage_name: string }[]> {
  return db.selectFrom("files").select(["id", "storage_name"]).where("deleted_at", "is", null).where("expires_at", "<=", now).limit(limit).execute();
}

export async function markDeleted(db: Db, id: number, now: number): Promise<void> {
  await db.updateTable("files").set({ deleted_at: now }).where("id", "=", id).execute();
}
