// Incoming webhooks: a secret URL that posts into one conversation, compatible with Slack's, so Alertmanager,
// Grafana, CI systems and curl scripts work unchanged. In a group each webhook posts as a bot account of its own
// (added to the group, named after the webhook: deleting one deactivates only its bot); in a direct conversation
// with a bot, as that bot. The secret is 256 random bits, kept only as its SHA-256 (as API tokens are).
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { AppContext } from "../../context";
import type { ConversationRow } from "../../db/schema";
import { commitWithEvents } from "../../core/commit";
import { AppError, forbidden, notFound } from "../../lib/errors";
import { sha256Hex } from "../auth/api-tokens";
import type { AuthUser } from "../auth/service";
import { botCaller } from "../auth/caller";
import { addAndAnnounce } from "../conversations/service";
import { mayManage } from "../conversations/roles";
import { findConversation } from "../conversations/repository";
import { MAX_MESSAGE_LENGTH } from "../messages/model";
import { sendMessage } from "../messages/service";
import { createBotAccount } from "../users/service";
import type { IncomingWebhookView } from "./model";
import * as repo from "./repository";
import { parseSlackBody, slackPost } from "./slack";

/** Who may manage a conversation's webhooks, and which bot posts for them in a direct conversation (null: one per webhook). */
export async function webhookManager(
  ctx: AppContext,
  user: AuthUser,
  conversationId: number,
): Promise<{ conversation: ConversationRow; directBot: number | null }> {
  const conversation = (await findConversation(ctx.reader, conversationId)) ?? notFound("Conversation not found.");
  const members = await repo.membersOf(ctx.reader, conversation.id);
  const mine = members.find((m) => m.user_id === user.id);
  if (conversation.kind === "group") {
    if (!mayManage({ userId: user.id, role: mine?.role ?? null, staff: user.is_staff })) forbidden("Only the group's owners and admins manage its webhooks.");
    return { conversation, directBot: null };
  }
  if (!mine) forbidden("You are not a member of this conversation.");
  const bot = members.find((m) => m.user_id !== user.id && m.is_bot);
  if (!bot) forbidden("Webhooks of a direct conversation are for conversations with a bot.");
  return { conversation, directBot: bot.user_id };
}

const toView = (row: repo.IncomingRecord): IncomingWebhookView => ({
  id: row.id,
  conversation_id: row.conversation_id,
  name: row.name,
  bot: { id: row.bot_id, username: row.bot_username },
  created_by: row.created_by,
  created_at: new Date(Number(row.created_at)).toISOString(),
});

const newSecret = () => randomBytes(32).toString("base64url");
const withUrl = (view: IncomingWebhookView, secret: string, origin: string) => {
  const path = `/hooks/${view.id}/${secret}`;
  return { ...view, path, url: `${origin}${path}` };
};

export async function createIncoming(ctx: AppContext, user: AuthUser, conversationId: number, name: string, origin: string) {
  const { conversation, directBot } = await webhookManager(ctx, user, conversationId);
  const botId =
    directBot ?? (await createBotAccount(ctx, `webhook-${conversation.id}-${randomBytes(4).toString("hex")}`, name, randomBytes(8).toString("hex"))).id;
  const secret = newSecret();
  const id = await commitWithEvents(ctx, async (tx, emit) => {
    if (directBot === null) await addAndAnnounce(tx.db, emit, conversation, [botId], "member", Date.now(), { added_by: user.id });
    return repo.insertIncoming(tx.db, {
      conversation_id: conversation.id,
      bot_id: botId,
      name,
      secret_hash: sha256Hex(secret),
      created_by: user.id,
      created_at: Date.now(),
    });
  });
  return withUrl(toView((await repo.findIncoming(ctx.reader, id))!), secret, origin);
}

export async function listIncoming(ctx: AppContext, user: AuthUser, conversationId: number): Promise<IncomingWebhookView[]> {
  await webhookManager(ctx, user, conversationId);
  return (await repo.listIncoming(ctx.reader, conversationId)).map(toView);
}

async function managedWebhook(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number) {
  const { directBot } = await webhookManager(ctx, user, conversationId);
  const row = await repo.findIncoming(ctx.reader, webhookId);
  if (!row || row.conversation_id !== conversationId) notFound("No such webhook.");
  return { row, ownBot: directBot === null };
}

/** Renames the webhook (and its own bot's display name). */
export async function renameIncoming(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number, name: string) {
  const { row, ownBot } = await managedWebhook(ctx, user, conversationId, webhookId);
  await repo.updateIncoming(ctx.db, row.id, { name });
  if (ownBot) await repo.setUserFields(ctx.db, row.bot_id, { first_name: name });
  return toView((await repo.findIncoming(ctx.reader, row.id))!);
}

/** A new secret: the old URL stops working at once. */
export async function rotateIncoming(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number, origin: string) {
  const { row } = await managedWebhook(ctx, user, conversationId, webhookId);
  const secret = newSecret();
  await repo.updateIncoming(ctx.db, row.id, { secret_hash: sha256Hex(secret) });
  return withUrl(toView(row), secret, origin);
}

/** Deletes the webhook; its own bot is deactivated (its messages stay, under its name). */
export async function deleteIncoming(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number): Promise<void> {
  const { row, ownBot } = await managedWebhook(ctx, user, conversationId, webhookId);
  await repo.deleteIncoming(ctx.db, row.id);
  if (ownBot && !(await repo.botStillUsed(ctx.db, row.bot_id))) await repo.setUserFields(ctx.db, row.bot_id, { is_active: 0 });
}

/** Slack's answers: a status and a code as plain text (what Slack's clients log), with Retry-After for 429. */
export interface HookAnswer {
  status: number;
  body: string;
  retryAfter?: number;
}

const refusal = (status: number, body: string): HookAnswer => ({ status, body });

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** A post to /hooks/{id}/{secret}: stored and delivered like any message, or refused the way Slack refuses it. */
export async function postToHook(ctx: AppContext, webhookId: number, secret: string, raw: unknown, contentType: string): Promise<HookAnswer> {
  const hook = await repo.findIncoming(ctx.reader, webhookId);
  if (!hook || !sameHash(hook.secret_hash, sha256Hex(secret)) || !hook.bot_active) return refusal(404, "no_service");
  const { ok, retryAfterMs } = await ctx.limits.postsPerWebhook.take(String(hook.id));
  if (!ok) return { status: 429, body: "rate_limited", retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
  const payload = typeof raw === "string" ? parseSlackBody(raw, contentType) : raw;
  const post = slackPost(payload);
  if (typeof post === "string") return refusal(400, post);
  if (post.text.length > MAX_MESSAGE_LENGTH && [...post.text].length > MAX_MESSAGE_LENGTH) return refusal(413, "msg_too_long");
  const bot = botCaller(hook.bot_id, hook.bot_username, `hook:${hook.id}`);
  try {
    await sendMessage(ctx, bot, hook.conversation_id, { message: post.text }, { via_webhook: true, display_name: post.username });
    return { status: 200, body: "ok" };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.status === 403 || error.status === 404) return refusal(404, "channel_not_found");
    if (error.status === 429) return { status: 429, body: "rate_limited", retryAfter: (error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1 };
    if (error.status === 400) return refusal(400, "invalid_payload");
    throw error;
  }
}
