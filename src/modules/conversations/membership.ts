// The membership guard every conversation read or write passes, and who moderates a conversation.
import type { AppContext } from "../../context";
import type { ConversationRow, MemberRow } from "../../db/schema";
import { forbidden, notFound } from "../../lib/errors";
import * as repo from "./repository";
import { mayManage } from "./roles";

/** The conversation and the caller's role in it: unknown → 404, not a member → 403 (nothing of it revealed). */
export async function requireMembership(
  ctx: AppContext,
  conversationId: number,
  userId: number,
): Promise<{ conversation: ConversationRow; role: MemberRow["role"] }> {
  const row = await repo.findForMember(ctx.reader, userId, conversationId);
  if (!row) notFound("Conversation not found.");
  if (row!.member === null) forbidden("You are not a member of this conversation.");
  const { member: _, member_role, ...conversation } = row!;
  return { conversation, role: member_role! };
}

/** The conversation, if `userId` is a member of it: unknown → 404, not a member → 403 (nothing of it revealed). */
export async function requireMember(ctx: AppContext, conversationId: number, userId: number): Promise<ConversationRow> {
  return (await requireMembership(ctx, conversationId, userId)).conversation;
}

/** Moderators of a conversation: a group's owners and admins; in a direct conversation, both sides. */
export const isModerator = (conversation: Pick<ConversationRow, "kind">, role: MemberRow["role"]) =>
  conversation.kind === "direct" || mayManage({ userId: 0, role, staff: false });
