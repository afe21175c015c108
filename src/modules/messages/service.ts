// Sending and reading messages. Only members may do either; a send is answered only after it has committed.
import type { AppContext } from "../../context";
import type { Db } from "../../db";
import type { ConversationRow } from "../../db/schema";
import { AppError, badRequest, forbidden, invalidField, notFound, payloadTooLarge } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import type { AuthUser } from "../auth/service";
import { isModerator, requireMember, requireMembership } from "../conversations/membership";
import { openDirect } from "../conversations/service";
import { commitWithEvents, type Emit } from "../../core/commit";
import { dropLoggedEdits, scrubLoggedContent } from "../../core/events";
import { truncateWalSoon } from "../../db/wal";
import { resolveMentions } from "./mentions";
import { MAX_MESSAGE_LENGTH, type HistoryQuery, type SendBody } from "./model";
import { isUniqueViolation } from "../../db/dialect";
import * as repo from "./repository";
import { toMessageView, type MessageView } from "./view";
import { defineRead, type ReadContext } from "../../lib/read-pool";

const PAGE_SIZE = 10;

function optionalId(value: unknown, field: string, message = "Give a user or group id."): number | null {
  if (value === undefined || value === null || value === "") return null;
  const id = typeof value === "string" && /^\d{1,15}$/.test(value.trim()) ? Number(value) : value;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) invalidField(field, message);
  return id as number;
}

/**
 * The conversation a send goes to: the body's receiver (as in the original), else the path's conversation. Not async:
 * the usual send (to the path's conversation, its membership cached) costs no async frame.
 */
function sendTarget(ctx: AppContext, user: AuthUser, pathId: number, body: SendBody): Promise<ConversationRow> {
  const receiverUser = optionalId(body.receiver_user, "receiver_user");
  const receiverGroup = optionalId(body.receiver_group, "receiver_group");
  if (receiverUser !== null && receiverGroup !== null) badRequest("Cannot send to both user and group at the same time.");
  if (receiverUser !== null) return openDirect(ctx, user, receiverUser, "receiver_user").then((direct) => direct.conversation);
  if (receiverGroup === null) return requireMember(ctx, pathId, user.id);
  return requireMember(ctx, receiverGroup, user.id).then((conversation) => {
    if (conversation.kind !== "group") invalidField("receiver_group", "That is not a group.");
    return conversation;
  });
}

export interface SendResult {
  message: MessageView;
  /** The message as JSON text: serialized once, for the event, the ack and the REST answer. */
  json: string;
  /** False when a retry with the same client_id returned the message stored the first time. */
  created: boolean;
}

/** The rules a message's text follows, on send and on edit. */
function checkText(text: string, hasFile: boolean): void {
  if (text.length > MAX_MESSAGE_LENGTH && [...text].length > MAX_MESSAGE_LENGTH)
    invalidField("message", `Ensure this field has no more than ${MAX_MESSAGE_LENGTH} characters.`);
  if (text.includes("\u0000")) invalidField("message", "The message may not contain NUL characters.");
  if (!text.trim() && !hasFile) invalidField("message", "Write a message or attach a file.");
}

/** How a message came in, when not typed by its sender: an incoming webhook's post, with the name it asked for. */
export interface MessageOrigin {
  via_webhook: boolean;
  display_name: string | null;
}

/** REST, both WebSocket endpoints and incoming webhooks send through here, so one per-user limit counts them all. */
export async function sendMessage(ctx: AppContext, user: AuthUser, pathId: number, body: SendBody, origin?: MessageOrigin): Promise<SendResult> {
  await enforce(ctx.limits.sendPerUser, String(user.id), "Too many messages; slow down.");
  const text = body.message ?? "";
  const file = body.file === undefined || body.file === null || body.file === "" ? null : body.file;
  if (file !== null && !(file instanceof Blob)) invalidField("file", "Send the file as a multipart/form-data part named file.");
  checkText(text, file !== null);
  const replyTo = optionalId(body.reply_to, "reply_to", "Give the id of the message this one answers.");
  if (file && file.size > ctx.config.maxUploadBytes) payloadTooLarge(`The file is larger than the limit of ${ctx.config.maxUploadBytes} bytes.`);
  if (file && file.size === 0) invalidField("file", "The submitted file is empty.");

  const conversation = await sendTarget(ctx, user, pathId, body);
  if (body.client_id) {
    const earlier = await repo.findByClientId(ctx.reader, user.id, body.client_id);
    if (earlier) return replayed(toMessageView(earlier, conversation, ctx.fileUrls));
  }

  // Charged by the file's size before a byte of it reaches the disk: a refused upload leaves no file and no row.
  if (file) await enforce(ctx.limits.uploadBytesPerUser, String(user.id), "Too many bytes uploaded; wait before the next file.", file.size);
  const stored = file ? await ctx.uploads.save(file as Blob & { name?: string }) : null;
  if (stored) ctx.metrics.uploadBytes.inc({}, stored.size);
  try {
    const { message, json } = await commitWithEvents(
      ctx,
      async (tx, emit) => {
        const now = Date.now();
        if (replyTo !== null) await takeReply(tx.db, conversation.id, replyTo);
        const mentions = await resolveMentions(tx.db, conversation.id, user.id, text);
        const fileId = stored ? await repo.insertFile(tx.db, { ...stored, uploader_id: user.id, created_at: now, expires_at: expiryOf(ctx, now) }) : null;
        const row = {
          conversation_id: conversation.id,
          sender_id: user.id,
          body: text,
          file_id: fileId,
          created_at: now,
          client_id: body.client_id ?? null,
          reply_to_id: replyTo,
          mentions: mentions.length ? JSON.stringify(mentions) : null,
          via_webhook: origin?.via_webhook ? 1 : 0,
          display_name: origin?.display_name ?? null,
        };
        const id = await repo.insertMessage(tx, row);
        if (mentions.length) await repo.storeMentions(tx.db, id, conversation.id, mentions);
        // The view from what was just written (no read-back): it is also the event's data, serialized once.
        const view = toMessageView(
          {
            ...row,
            id,
            sender_username: user.username,
            sender_is_bot: user.is_bot ? 1 : 0,
            file_name: stored?.original_name ?? null,
            file_size: stored?.size ?? null,
            file_content_type: stored?.content_type ?? null,
            file_expires_at: stored ? expiryOf(ctx, now) : null,
            file_deleted_at: null,
            deleted_at: null,
            edited_at: null,
            reply_count: 0,
            reactions: null,
            pinned_at: null,
          },
          conversation,
          ctx.fileUrls,
          now,
        );
        const json = JSON.stringify(view);
        await emit({ type: "message.created", conversation_id: conversation.id, message_id: id, data: view, dataJson: json });
        return { message: view, json };
      },
      { messages: 1 },
    );
    return { message, json, created: true };
  } catch (error) {
    if (stored) await ctx.uploads.remove(stored.storage_name); // no orphan bytes when the row did not commit
    if (body.client_id && isUniqueViolation(error, "messages", ["sender_id", "client_id"])) {
      const earlier = await repo.findByClientId(ctx.reader, user.id, body.client_id);
      if (earlier) return replayed(toMessageView(earlier, conversation, ctx.fileUrls));
    }
    throw error;
  }
}

const replayed = (message: MessageView): SendResult => ({ message, json: JSON.stringify(message), created: false });

const expiryOf = (ctx: AppContext, now: number) => (ctx.config.fileTtlMs > 0 ? now + ctx.config.fileTtlMs : null);

/**
 * A page of a conversation's history, as JSON text: `?page=N` (newest first, 10 a page, as the original), or
 * cursors. The newest page is kept serialized until the conversation changes (see newest-pages.ts).
 */
export async function historyJson(ctx: AppContext, user: AuthUser, conversationId: number, query: HistoryQuery): Promise<string> {
  const cursors = [query.before, query.after, query.around].filter((c) => c !== undefined).length;
  if (cursors > 1) badRequest("Use one of before, after and around.");
  if (cursors && query.page !== undefined) badRequest("Use either page or a cursor (before/after/around), not both.");
  const conversation = await requireMember(ctx, conversationId, user.id);
  const limit = query.limit ?? PAGE_SIZE;
  const newest = !cursors && (query.page ?? 1) === 1;
  const pages = ctx.newestPages;
  // A cursor page is one index range of `limit` rows (~0.1 ms at any depth): here, as a worker's round trip costs more.
  // `?page=N` skips (N-1)×limit rows first, unbounded: off the event loop.
  if (!newest) return cursors ? olderPage.run(ctx, conversation, query, limit, user.id) : ctx.reads.run(olderPage, conversation, query, limit, user.id);
  const cached = pages.get(conversation.id, limit, user.id);
  if (cached !== undefined) return cached;
  const records = await repo.listHistory(ctx.reader, conversation.id, { kind: "offset", offset: 0, limit });
  const now = Date.now();
  const json = JSON.stringify(records.map((r) => toMessageView(r, conversation, ctx.fileUrls, now, user.id)));
  pages.set(conversation.id, limit, json, records.some((r) => r.reactions !== null) ? user.id : null, now);
  return json;
}

/** Any page but the newest: a cursor anywhere in a million messages, or `?page=N` (an offset, run off the event loop). */
const olderPage = defineRead("messages.history", async (ctx, conversation: ConversationRow, query: HistoryQuery, limit: number, viewerId: number) => {
  const records =
    query.around !== undefined
      ? await historyAround(ctx, conversation.id, query.around, limit)
      : await repo.listHistory(
          ctx.reader,
          conversation.id,
          query.after !== undefined
            ? { kind: "after", after: query.after, limit }
            : query.before !== undefined
              ? { kind: "before", before: query.before, limit }
              : { kind: "offset", offset: ((query.page ?? 1) - 1) * limit, limit },
        );
  const now = Date.now();
  return JSON.stringify(records.map((r) => toMessageView(r, conversation, ctx.fileUrls, now, viewerId)));
});

/** A page centred on a message, newest first: it with older ones, and newer ones (half the page each, filled from the other side near an end). */
async function historyAround(ctx: ReadContext, conversationId: number, around: number, limit: number) {
  const older = await repo.listHistory(ctx.reader, conversationId, { kind: "before", before: around + 1, limit });
  const newer = await repo.listHistory(ctx.reader, conversationId, { kind: "after", after: around, limit });
  let newerCount = Math.min(newer.length, Math.floor(limit / 2));
  const olderCount = Math.min(older.length, limit - newerCount);
  newerCount = Math.min(newer.length, limit - olderCount);
  return [...newer.slice(0, newerCount).reverse(), ...older.slice(0, olderCount)];
}

/** A client_id de-duplicates retries for 24 hours; after that the same id may be used again. */
const CLIENT_ID_WINDOW_MS = 24 * 3_600_000;

export async function expireClientIds(ctx: AppContext, now = Date.now()): Promise<number> {
  return repo.forgetClientIdsBefore(ctx.db, now - CLIENT_ID_WINDOW_MS);
}

/** A reply's parent: in the same conversation and not deleted; it counts one reply more. */
async function takeReply(trx: Db, conversationId: number, parentId: number): Promise<void> {
  const parent = await repo.findMessageRow(trx, parentId);
  if (!parent || parent.conversation_id !== conversationId) invalidField("reply_to", "No such message in this conversation.");
  if (parent.deleted_at !== null) invalidField("reply_to", "That message was deleted.");
  await repo.countReply(trx, parentId, 1);
}

/** A message of the conversation, read inside a write transaction: 404 when it is not there, 409 when deleted. */
export async function messageForChange(trx: Db, conversationId: number, messageId: number) {
  const message = await repo.findMessageRow(trx, messageId);
  if (!message || message.conversation_id !== conversationId) notFound("Message not found.");
  if (message.deleted_at !== null) throw new AppError(409, "conflict", "The message was deleted.");
  return message;
}

/** The message as the caller sees it now (after a commit). */
export async function currentView(ctx: AppContext, conversation: ConversationRow, messageId: number, viewerId: number): Promise<MessageView> {
  return toMessageView((await repo.findMessage(ctx.reader, messageId))!, conversation, ctx.fileUrls, Date.now(), viewerId);
}

/** The sender edits the text; mentions are resolved again; members get `message.updated`. */
export async function editMessage(ctx: AppContext, user: AuthUser, conversationId: number, messageId: number, text: string): Promise<MessageView> {
  const conversation = await requireMember(ctx, conversationId, user.id);
  const edited = await commitWithEvents(ctx, async (tx, emit) => {
    const message = await messageForChange(tx.db, conversation.id, messageId);
    if (message.sender_id !== user.id) forbidden("Only the sender may edit a message.");
    checkText(text, message.file_id !== null);
    if (text === message.body) return false;
    const mentions = await resolveMentions(tx.db, conversation.id, message.sender_id, text);
    const editedAt = Date.now();
    await repo.updateMessage(tx.db, messageId, { body: text, edited_at: editedAt, mentions: mentions.length ? JSON.stringify(mentions) : null });
    await repo.storeMentions(tx.db, messageId, conversation.id, mentions);
    const data = { id: messageId, conversation_id: conversation.id, message: text, edited_at: new Date(editedAt).toISOString(), mentions };
    // The old text leaves the log too: the logged message.created now says what the message says, and the earlier
    // message.updated (at most one: each edit removes the one before) is superseded by this one, so an edit costs
    // the same however often the message was edited.
    await dropLoggedEdits(tx.db, messageId);
    await scrubLoggedContent(tx.db, [messageId], { message: text, edited_at: data.edited_at, mentions });
    await emit({ type: "message.updated", conversation_id: conversation.id, message_id: messageId, data });
    return true;
  });
  if (edited) truncateWalSoon(ctx);
  return currentView(ctx, conversation, messageId, user.id);
}

/** The sender, a group's owners and admins, and staff may delete a message. */
export async function deleteConversationMessage(ctx: AppContext, user: AuthUser, conversationId: number, messageId: number): Promise<void> {
  const role = user.is_staff ? null : await requireMembership(ctx, conversationId, user.id);
  await deleteMessage(ctx, messageId, (message) => {
    if (message.conversation_id !== conversationId) notFound("Message not found.");
    return role === null || message.sender_id === user.id || (role.conversation.kind === "group" && isModerator(role.conversation, role.role));
  });
}

/**
 * Deletes a message for everyone: its text, file, reactions, mentions and pin are removed from storage (not
 * hidden), also from the event log a resuming client replays; the row stays as a tombstone so the history keeps
 * its order, and members get `message.deleted`. Deleting again changes nothing. `mayDelete` is the caller's rule.
 */
export async function deleteMessage(
  ctx: AppContext,
  messageId: number,
  mayDelete: (message: { sender_id: number; conversation_id: number }) => boolean,
): Promise<void> {
  const removedFiles = await commitWithEvents(ctx, async (tx, emit) => {
    const message = await repo.findMessageRow(tx.db, messageId);
    if (!message) notFound("Message not found.");
    if (!mayDelete(message)) forbidden("You may not delete this message.");
    if (message.deleted_at !== null) return null;
    const removed = await tombstone(tx.db, [messageId]);
    await emit({
      type: "message.deleted",
      conversation_id: message.conversation_id,
      message_id: messageId,
      data: { id: messageId, conversation_id: message.conversation_id },
    });
    return removed;
  });
  if (removedFiles === null) return; // deleted before: nothing changed
  for (const storageName of removedFiles) await ctx.uploads.remove(storageName); // bytes go once the rows that point at them are gone
  ctx.searchIndexer.markForPurge();
  truncateWalSoon(ctx);
}

/** Messages tombstoned per statement when a whole account's go: bounded lists of ids on both databases. */
const ERASE_BATCH = 500;

/**
 * Tombstones every message `senderId` sent, inside the caller's transaction (an account being deleted), and tells
 * the members each is gone; returns the storage names of the files removed with them and of any other file the
 * account uploaded, whose rows go too.
 */
export async function eraseMessagesOf(trx: Db, emit: Emit, senderId: number): Promise<string[]> {
  const messages = await repo.listLiveMessagesOf(trx, senderId);
  const removed: string[] = [];
  for (let i = 0; i < messages.length; i += ERASE_BATCH) {
    const batch = messages.slice(i, i + ERASE_BATCH);
    removed.push(
      ...(await tombstone(
        trx,
        batch.map((m) => m.id),
      )),
    );
    for (const m of batch)
      await emit({ type: "message.deleted", conversation_id: m.conversation_id, message_id: m.id, data: { id: m.id, conversation_id: m.conversation_id } });
  }
  return [...removed, ...(await repo.deleteFilesOf(trx, senderId))];
}

/** What a deleted message's logged events say instead of its content. */
const TOMBSTONE_FIELDS = { message: "", file: null, attachment: null, client_id: null, deleted: true, reactions: [], mentions: [], pinned: false };

/**
 * Turns messages into tombstones inside a transaction: text, file row, reactions, mentions and pins gone, parents'
 * reply counts lowered, and their content scrubbed from the event log. Returns the storage names of removed files.
 */
export async function tombstone(trx: Db, messageIds: number[]): Promise<string[]> {
  if (messageIds.length === 0) return [];
  const { ids, storageNames } = await repo.tombstoneRows(trx, messageIds, Date.now());
  // A client resuming from an old seq replays message.created: it must get the tombstone, not the text.
  if (ids.length) await scrubLoggedContent(trx, ids, TOMBSTONE_FIELDS);
  return storageNames;
}

/** Replies to a message, oldest first: `?after=<id>` continues, `?limit=1..100`. */
export async function listReplies(
  ctx: AppContext,
  user: AuthUser,
  conversationId: number,
  messageId: number,
  query: { after?: number; limit?: number },
): Promise<MessageView[]> {
  const conversation = await requireMember(ctx, conversationId, user.id);
  const parent = await repo.findMessage(ctx.reader, messageId);
  if (!parent || parent.conversation_id !== conversation.id) notFound("Message not found.");
  const now = Date.now();
  return (await repo.listReplies(ctx.reader, messageId, query.after ?? 0, query.limit ?? 50)).map((r) =>
    toMessageView(r, conversation, ctx.fileUrls, now, user.id),
  );
}

/** Views of messages from any conversations (mentions, search results), in the order given, as `viewerId` sees them. */
export async function viewsAcrossConversations(ctx: ReadContext, records: repo.MessageRecord[], viewerId: number): Promise<MessageView[]> {
  const ids = [...new Set(records.map((r) => r.conversation_id))];
  if (ids.length === 0) return [];
  const conversations = await repo.conversationsForViews(ctx.reader, ids);
  const byId = new Map(conversations.map((c) => [c.id, c]));
  const now = Date.now();
  return records.map((r) => toMessageView(r, byId.get(r.conversation_id)!, ctx.fileUrls, now, viewerId));
}

/** The caller's mentions, newest first, from conversations they are still in: `?before=<message id>`, `?limit=`. */
export async function listMentions(ctx: AppContext, user: AuthUser, query: { before?: number; limit?: number }): Promise<MessageView[]> {
  return viewsAcrossConversations(ctx, await repo.listMentionsOf(ctx.reader, user.id, query.before ?? Number.MAX_SAFE_INTEGER, query.limit ?? 50), user.id);
}
