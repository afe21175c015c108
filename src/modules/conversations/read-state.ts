// Read state, one source of truth on the server: each member's last-read message id, and whether they muted the
// conversation. Unread and mention counts follow from it (unread from counts triggers keep in the conversation and
// membership rows, see migrations/0016_unread_counts.ts; mentions counted in repository.listUserConversations); every
// change reaches the member's other devices as a private `unread` or `mute` event.
import type { AppContext } from "../../context";
import type { Db } from "../../db";
import { forbidden, invalidField } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { commitWithEvents } from "../../core/commit";
import { findMessageRow } from "../messages/repository";
import type { ReadState } from "./model";
import * as repo from "./repository";
import { requireMember } from "./membership";

export function readStateOf(row: {
  id: number;
  last_read_message_id: number | null;
  muted: number;
  unread_count: number | string | bigint | null;
  mention_count: number | string | bigint | null;
}): ReadState {
  const unread = Number(row.unread_count ?? 0);
  const mentions = Number(row.mention_count ?? 0);
  const muted = row.muted === 1;
  return {
    conversation_id: row.id,
    last_read_message_id: row.last_read_message_id,
    unread_count: unread,
    mention_count: mentions,
    muted,
    notification_count: muted ? mentions : unread,
  };
}

async function currentState(db: Db, userId: number, conversationId: number): Promise<ReadState> {
  const [row] = await repo.listUserConversations(db, userId, { conversationId });
  if (!row) forbidden("You are not a member of this conversation."); // left between the check and the transaction
  return readStateOf(row);
}

/**
 * Moves the member's last-read marker forward to `messageId` (never back). The other members get `read`
 * (read receipts); the member's own sockets get the new counts as a private `unread` event.
 */
export async function markRead(ctx: AppContext, user: Pick<AuthUser, "id">, conversationId: number, messageId: number): Promise<ReadState> {
  await requireMember(ctx, conversationId, user.id);
  return commitWithEvents(ctx, async (tx, emit) => {
    const message = await findMessageRow(tx.db, messageId);
    if (message?.conversation_id !== conversationId) invalidField("message_id", "No such message in this conversation.");
    const before = await currentState(tx.db, user.id, conversationId);
    if ((before.last_read_message_id ?? 0) >= messageId) return before;
    await repo.setMemberState(tx.db, conversationId, user.id, { last_read_message_id: messageId });
    await emit({ type: "read", conversation_id: conversationId, data: { user_id: user.id, message_id: messageId } });
    const after = await currentState(tx.db, user.id, conversationId);
    await emit({ type: "unread", conversation_id: conversationId, user_id: user.id, private: true, data: after });
    return after;
  });
}

/** Mutes or unmutes the conversation for the caller (storage unchanged; only what counts as a notification). */
export async function setMuted(ctx: AppContext, user: Pick<AuthUser, "id">, conversationId: number, muted: boolean): Promise<ReadState> {
  await requireMember(ctx, conversationId, user.id);
  return commitWithEvents(ctx, async (tx, emit) => {
    const before = await currentState(tx.db, user.id, conversationId);
    if (before.muted === muted) return before;
    await repo.setMemberState(tx.db, conversationId, user.id, { muted: muted ? 1 : 0 });
    const after = await currentState(tx.db, user.id, conversationId);
    await emit({ type: "mute", conversation_id: conversationId, user_id: user.id, private: true, data: after });
    return after;
  });
}
