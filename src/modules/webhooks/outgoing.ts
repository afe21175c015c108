// Outgoing webhooks: a URL subscribed to a conversation's events, each delivered as a signed POST of the event's
// /ws JSON through a durable queue (delivery.ts). Managed by a group's owners and admins, and by staff anywhere.
import { randomBytes } from "node:crypto";
import type { AppContext } from "../../context";
import { AppError, forbidden, invalidField, notFound } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { findConversation } from "../conversations/repository";
import { mayManage } from "../conversations/roles";
import { checkWebhookUrl, RefusedDestination, resolveDestination } from "../../lib/destinations";
import type { DeliveryView, OutgoingWebhookView, Subscription } from "./model";
import * as repo from "./repository";

async function manageable(ctx: AppContext, user: AuthUser, conversationId: number) {
  const conversation = (await findConversation(ctx.reader, conversationId)) ?? notFound("Conversation not found.");
  const members = await repo.membersOf(ctx.reader, conversation.id);
  const role = members.find((m) => m.user_id === user.id)?.role ?? null;
  const allowed = conversation.kind === "group" ? mayManage({ userId: user.id, role, staff: user.is_staff }) : user.is_staff;
  if (!allowed) forbidden("Only the group's owners and admins (and staff) manage its outgoing webhooks.");
  return { conversation, members };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

const toView = (row: repo.OutgoingRow): OutgoingWebhookView => ({
  id: row.id,
  conversation_id: row.conversation_id,
  url: row.url,
  events: row.events.split(" ") as Subscription[],
  bot_id: row.bot_id,
  created_by: row.created_by,
  created_at: iso(row.created_at)!,
  disabled_at: iso(row.disabled_at),
  disabled_reason: row.disabled_reason,
});

export interface NewOutgoing {
  url: string;
  events: Subscription[];
  bot_id?: number | null;
}

/** The URL is checked now too (a refused destination is a 400 at once, not a day of failed deliveries). */
export async function createOutgoing(ctx: AppContext, user: AuthUser, conversationId: number, input: NewOutgoing) {
  const { conversation, members } = await manageable(ctx, user, conversationId);
  try {
    await resolveDestination(checkWebhookUrl(input.url), ctx.config.webhookAllowPrivate);
  } catch (error) {
    if (error instanceof RefusedDestination) invalidField("url", error.message);
    throw error;
  }
  const botId = input.bot_id ?? null;
  if (botId !== null && !members.some((m) => m.user_id === botId && m.is_bot)) invalidField("bot_id", "Give a bot that is a member of this conversation.");
  if (input.events.includes("message.mentioned") && botId === null) invalidField("bot_id", "message.mentioned follows a bot's mentions: give bot_id.");
  const secret = randomBytes(32).toString("base64url");
  const id = await repo.insertOutgoing(ctx.db, {
    conversation_id: conversation.id,
    url: input.url,
    secret,
    events: [...new Set(input.events)].join(" "),
    bot_id: botId,
    created_by: user.id,
    created_at: Date.now(),
    cursor_seq: await repo.newestEventSeq(ctx.db),
  });
  return { ...toView((await repo.findOutgoing(ctx.db, id))!), secret };
}

export async function listOutgoing(ctx: AppContext, user: AuthUser, conversationId: number): Promise<OutgoingWebhookView[]> {
  await manageable(ctx, user, conversationId);
  return (await repo.listOutgoing(ctx.reader, conversationId)).map(toView);
}

async function managedOutgoing(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number) {
  await manageable(ctx, user, conversationId);
  const row = await repo.findOutgoing(ctx.db, webhookId);
  if (!row || row.conversation_id !== conversationId) notFound("No such webhook.");
  return row;
}

export async function deleteOutgoing(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number): Promise<void> {
  await repo.deleteOutgoing(ctx.db, (await managedOutgoing(ctx, user, conversationId, webhookId)).id);
}

const toDeliveryView = (row: repo.DeliveryRow): DeliveryView => ({
  id: Number(row.id),
  event_seq: Number(row.event_seq),
  event_type: row.event_type,
  status: row.status,
  attempts: row.attempts,
  created_at: iso(row.created_at)!,
  last_attempt_at: iso(row.last_attempt_at),
  next_attempt_at: row.status === "pending" ? iso(row.next_attempt_at) : null,
  last_status: row.last_status,
  last_error: row.last_error,
  response_ms: row.response_ms,
});

export async function listDeliveries(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number): Promise<DeliveryView[]> {
  const hook = await managedOutgoing(ctx, user, conversationId, webhookId);
  return (await repo.listDeliveries(ctx.db, hook.id, 100)).map(toDeliveryView);
}

/** Queues a delivery again at once, for the next round (and turns a disabled webhook back on). */
export async function retryDelivery(ctx: AppContext, user: AuthUser, conversationId: number, webhookId: number, deliveryId: number) {
  const hook = await managedOutgoing(ctx, user, conversationId, webhookId);
  if (!(await repo.retryDelivery(ctx.db, hook.id, deliveryId, Date.now()))) throw new AppError(404, "not_found", "No such delivery.");
  return toView((await repo.findOutgoing(ctx.db, hook.id))!);
}
