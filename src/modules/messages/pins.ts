// Pinned messages: a group's owners and admins (either side of a direct conversation) pin and unpin.
import type { AppContext } from "../../context";
import { forbidden } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { isModerator, requireMember, requireMembership } from "../conversations/membership";
import { commitWithEvents } from "../../core/commit";
import * as repo from "./repository";
import { currentView, messageForChange } from "./service";
import { toMessageView, type MessageView } from "./view";

export async function setPinned(ctx: AppContext, user: AuthUser, conversationId: number, messageId: number, pinned: boolean): Promise<MessageView> {
  const { conversation, role } = await requireMembership(ctx, conversationId, user.id);
  if (!isModerator(conversation, role)) forbidden("Only the group's owners and admins may pin messages.");
  await commitWithEvents(ctx, async (tx, emit) => {
    const message = await messageForChange(tx.db, conversation.id, messageId);
    if ((message.pinned_at !== null) === pinned) return;
    const now = Date.now();
    await repo.updateMessage(tx.db, messageId, { pinned_at: pinned ? now : null, pinned_by: pinned ? user.id : null });
    await emit({
      type: pinned ? "message.pinned" : "message.unpinned",
      conversation_id: conversation.id,
      message_id: messageId,
      data: { message_id: messageId, user_id: user.id },
    });
  });
  return currentView(ctx, conversation, messageId, user.id);
}

/** The conversation's pinned messages, most recently pinned first. Members only. */
export async function listPins(ctx: AppContext, user: AuthUser, conversationId: number): Promise<MessageView[]> {
  const conversation = await requireMember(ctx, conversationId, user.id);
  const now = Date.now();
  return (await repo.listPins(ctx.reader, conversation.id)).map((r) => toMessageView(r, conversation, ctx.fileUrls, now, user.id));
}
