// The membership guard every conversation read or write passes, and who moderates a conversation.
import type { AppContext } from "../../context";
import type { ConversationRow, MemberRow } from "../../db/schema";
import { forbidden, notFound } from "../../lib/errors";
import type { Membership } from "./membership-cache";
import * as repo from "./repository";
import { mayManage } from "./roles";

/** The conversation and the caller's role in it: unknown → 404, not a member → 403 (nothing of it revealed). */
export function requireMembership(ctx: AppContext, conversationId: number, userId: number): Promise<Membership> {
  const cached = cachedMembership(ctx, conversationId, userId);
  return cached ? Promise.resolve(cached) : readMembership(ctx, conversationId, userId);
}

// Other nodes' membership changes reach this one through Redis: while that link is not up, read every time.
const cachedMembership = (ctx: AppContext, conversationId: number, userId: number) =>
  !ctx.config.redisUrl || ctx.transport?.connected === true ? ctx.memberships.get(conversationId, userId) : undefined;

async function readMembership(ctx: AppContext, conversationId: number, userId: number): Promise<Membership> {
  const cache = ctx.memberships;
  const version = cache.version;
  const row = await cache.readOnce(conversationId, userId, () => repo.findForMember(ctx.reader, userId, conversationId));
  if (!row) notFound("Conversation not found.");
  if (row!.member === null) forbidden("You are not a member of this conversation.");
  const { member: _, member_role, ...conversation } = row!;
  const membership = { conversation, role: member_role! };
  cache.set(version, userId, membership);
  return membership;
}

/** The conversation, if `userId` is a member of it: unknown → 404, not a member → 403 (nothing of it revealed). */
export function requireMember(ctx: AppContext, conversationId: number, userId: number): Promise<ConversationRow> {
  // A cached membership (every send but the first) costs no async frame: this runs for every message.
  const cached = cachedMembership(ctx, conversationId, userId);
  return cached ? Promise.resolve(cached.conversation) : readMembership(ctx, conversationId, userId).then((membership) => membership.conversation);
}

/** Moderators of a conversation: a group's owners and admins; in a direct conversation, both sides. */
export const isModerator = (conversation: Pick<ConversationRow, "kind">, role: MemberRow["role"]) =>
  conversation.kind === "direct" || mayManage({ userId: 0, role, staff: false });
