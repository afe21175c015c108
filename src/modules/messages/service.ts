// Sending and reading messages. Only members may do either; a send is answered only after it has committed.
import type { AppContext } from "../../context";
import type { Db } from "../../db";
import type { ConversationRow } from "../../db/schema";
import { badRequest, forbidden, invalidField, notFound, payloadTooLarge } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import type { AuthUser } from "../auth/service";
import { openDirect, requireMember } from "../conversations/service";
import type { StoredUpload } from "../files/storage";
import { commitWithEvents } from "../realtime/events";
import { MAX_MESSAGE_LENGTH, type HistoryQuery, type SendBody } from "./model";
import * as repo from "./repository";
import { newestPagesOf } from "./newest-pages";
import { toMessageView, type MessageView } from "./view";

const PAGE_SIZE = 10;

function optionalId(value: unknown, field: string): number | null {
  if (value === undefined || value === null || value === "") return null;
  const id = typeof value === "string" && /^\d{1,15}$/.test(value.trim()) ? Number(value) : value;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) invalidField(field, "Give a user or group id.");
  return id as number;
}

/** The conversation a send goes to: the body's receiver (as in the original), else the path's conversation. */
async function sendTarget(ctx: AppContext, user: AuthUser, pathId: number, body: SendBody): Promise<ConversationRow> {
  const receiverUser = optionalId(body.receiver_user, "receiver_user");
  const receiverGroup = optionalId(body.receiver_group, "receiver_group");
  if (receiverUser !== null && receiverGroup !== null) badRequest("Cannot send to both user and group at the same time.");
  if (receiverUser !== null) return (await openDirect(ctx, user, receiverUser, "receiver_user")).conversation;
  const conversation = await requireMember(ctx, receiverGroup ?? pathId, user.id);
  if (receiverGroup !== null && conversation.kind !== "group") invalidField("receiver_group", "That is not a group.");
  return conversation;
}

export interface SendResult {
  message: MessageView;
  /** False when a retry with the same client_id returned the message stored the first time. */
  created: boolean;
}

/** REST and both WebSocket endpoints send through here, so one per-user limit counts them all. */
export async function sendMessage(ctx: AppContext, user: AuthUser, pathId: number, body: SendBody): Promise<SendResult> {
  enforce(ctx.limits.sendPerUser, String(user.id), "Too many messages; slow down.");
  const text = body.message ?? "";
  const file = body.file === undefined || body.file === null || body.file === "" ? null : body.file;
  if (file !== null && !(file instanceof Blob)) invalidField("file", "Send the file as a multipart/form-data part named file.");
  if (text.length > MAX_MESSAGE_LENGTH && [...text].length > MAX_MESSAGE_LENGTH) invalidField("message", `Ensure this field has no more than ${MAX_MESSAGE_LENGTH} characters.`);
  if (text.includes("\u0000")) invalidField("message", "The message may not contain NUL characters.");
  if (!text.trim() && !file) invalidField("message", "Write a message or attach a file.");
  if (file && file.size > ctx.config.maxUploadBytes) payloadTooLarge(`The file is larger than the limit of ${ctx.config.maxUploadBytes} bytes.`);
  if (file && file.size === 0) invalidField("file", "The submitted file is empty.");

  const conversation = await sendTarget(ctx, user, pathId, body);
  if (body.client_id) {
    const earlier = repo.findByClientId(ctx.reader, user.id, body.client_id);
    if (earlier) return { message: toMessageView(earlier, conversation, ctx.fileUrls), created: false };
  }

  // Charged by the file's size before a byte of it reaches the disk: a refused upload leaves no file and no row.
  if (file) enforce(ctx.limits.uploadBytesPerUser, String(user.id), "Too many bytes uploaded; wait before the next file.", file.size);
  const stored = file ? await ctx.files.save(file as Blob & { name?: string }) : null;
  if (stored) ctx.metrics.uploadBytes.inc({}, stored.size);
  try {
    const message = await commitWithEvents(ctx, async (trx, emit) => {
      const now = Date.now();
      const fileId = stored ? await insertFile(ctx, trx, user, stored, now) : null;
      const row = { conversation_id: conversation.id, sender_id: user.id, body: text, file_id: fileId, created_at: now, client_id: body.client_id ?? null };
      const id = repo.insertMessage(ctx.sqlite, row);
      // The view from what was just written (no read-back): it is also the event's data, serialized once.
      const view = toMessageView(
        {
          ...row,
          id,
          sender_username: user.username,
          file_name: stored?.original_name ?? null,
          file_size: stored?.size ?? null,
          file_content_type: stored?.content_type ?? null,
          file_expires_at: stored ? expiryOf(ctx, now) : null,
          file_deleted_at: null,
          deleted_at: null,
        },
        conversation,
        ctx.fileUrls,
        now,
      );
      await emit({ type: "message.created", conversation_id: conversation.id, data: view });
      return view;
    });
    return { message, created: true };
  } catch (error) {
    if (stored) await ctx.files.remove(stored.storage_name); // no orphan bytes when the row did not commit
    if (body.client_id && String((error as Error)?.message).includes("messages.sender_id, messages.client_id")) {
      const earlier = repo.findByClientId(ctx.reader, user.id, body.client_id);
      if (earlier) return { message: toMessageView(earlier, conversation, ctx.fileUrls), created: false };
    }
    throw error;
  }
}

const expiryOf = (ctx: AppContext, now: number) => (ctx.config.fileTtlMs > 0 ? now + ctx.config.fileTtlMs : null);

async function insertFile(ctx: AppContext, trx: Db, user: AuthUser, stored: StoredUpload, now: number): Promise<number> {
  const row = await trx
    .insertInto("files")
    .values({ ...stored, uploader_id: user.id, created_at: now, expires_at: expiryOf(ctx, now), deleted_at: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A page of a conversation's history, as JSON text: `?page=N` (newest first, 10 a page, as the original), or
 * cursors. The newest page is kept serialized until the conversation changes (see newest-pages.ts).
 */
export async function historyJson(ctx: AppContext, user: AuthUser, conversationId: number, query: HistoryQuery): Promise<string> {
  const cursors = [query.before, query.after].filter((c) => c !== undefined).length;
  if (cursors > 1) badRequest("Use either before or after, not both.");
  if (cursors && query.page !== undefined) badRequest("Use either page or a cursor (before/after), not both.");
  const conversation = await requireMember(ctx, conversationId, user.id);
  const limit = query.limit ?? PAGE_SIZE;
  const newest = !cursors && (query.page ?? 1) === 1;
  const pages = newestPagesOf(ctx);
  const cached = newest ? pages.get(conversation.id, limit) : undefined;
  if (cached !== undefined) return cached;
  const records = repo.listHistory(
    ctx.reader,
    conversation.id,
    query.after !== undefined
      ? { kind: "after", after: query.after, limit }
      : query.before !== undefined
        ? { kind: "before", before: query.before, limit }
        : { kind: "offset", offset: ((query.page ?? 1) - 1) * limit, limit },
  );
  const now = Date.now();
  const json = JSON.stringify(records.map((r) => toMessageView(r, conversation, ctx.fileUrls, now)));
  if (newest) pages.set(conversation.id, limit, json, now);
  return json;
}

/** A client_id de-duplicates retries for 24 hours; after that the same id may be used again. */
export const CLIENT_ID_WINDOW_MS = 24 * 3_600_000;

export async function expireClientIds(ctx: AppContext, now = Date.now()): Promise<number> {
  const result = await ctx.db
    .updateTable("messages")
    .set({ client_id: null })
    .where("client_id", "is not", null)
    .where("created_at", "<", now - CLIENT_ID_WINDOW_MS)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Deletes a message for everyone: its text and file are removed from storage (not hidden), the row stays as a
 * tombstone so the history keeps its order, and members get `message.deleted`. Deleting again changes nothing.
 * `mayDelete` is the caller's rule (the admin API allows staff; the sender's own delete comes with issue 6).
 */
export async function deleteMessage(ctx: AppContext, messageId: number, mayDelete: (message: { sender_id: number; conversation_id: number }) => boolean): Promise<void> {
  const removedFile = await commitWithEvents(ctx, async (trx, emit) => {
    const message = await trx.selectFrom("messages").select(["id", "conversation_id", "sender_id", "file_id", "deleted_at"]).where("id", "=", messageId).executeTakeFirst();
    if (!message) notFound("Message not found.");
    if (!mayDelete(message!)) forbidden("You may not delete this message.");
    if (message!.deleted_at !== null) return null;
    const file = message!.file_id === null ? undefined : await trx.selectFrom("files").select(["id", "storage_name"]).where("id", "=", message!.file_id).executeTakeFirst();
    await trx.updateTable("messages").set({ body: "", file_id: null, client_id: null, deleted_at: Date.now() }).where("id", "=", messageId).execute();
    if (file) await trx.deleteFrom("files").where("id", "=", file.id).execute();
    await emit({ type: "message.deleted", conversation_id: message!.conversation_id, data: { id: messageId, conversation_id: message!.conversation_id } });
    return file?.storage_name ?? null;
  });
  if (removedFile) await ctx.files.remove(removedFile); // bytes go once the rows that point at them are gone
}
