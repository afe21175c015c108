// The outgoing webhooks' delivery queue, worked in the background on every node. For each enabled webhook no node
// holds, a node takes a lease (an atomic UPDATE … WHERE the lease expired: one node at a time, on SQLite and
// PostgreSQL alike), copies the conversation's new logged events into deliveries (in one transaction with moving the
// cursor), and sends the oldest pending one, then the next: in order, at least once (a crash between sending and
// recording sends again: receivers deduplicate by X-Parley-Delivery). A failure waits (doubling from
// PARLEY_WEBHOOK_RETRY up to an hour) and blocks the ones after it; failing for PARLEY_WEBHOOK_GIVE_UP (a day)
// marks it failed and disables the webhook, with the reason in its listing and in the log.
import { createHmac } from "node:crypto";
import type { AppContext } from "../../context";
import { commitWithEvents } from "../../core/commit";
import { AppError } from "../../lib/errors";
import { botCaller } from "../auth/caller";
import { sendMessage } from "../messages/service";
import { checkWebhookUrl, postTo, resolveDestination } from "../../lib/destinations";
import * as repo from "./repository";

const LEASE_MS = 60_000;
const TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_BACKOFF_MS = 3_600_000;
/** Deliveries one webhook gets per turn, so that one busy webhook does not keep the others waiting. */
const PER_TURN = 50;

export const signature = (secret: string, payload: string) => `sha256=${createHmac("sha256", secret).update(payload).digest("hex")}`;

interface Subscribed {
  seq: number;
  type: string;
  data: string;
}

/** Whether the webhook wants this event: by its subscriptions, and never its own bot's messages (no reply loops). */
function wanted(hook: repo.OutgoingRow, event: Subscribed): boolean {
  const subscriptions = hook.events.split(" ");
  if (event.type.startsWith("member.")) return subscriptions.includes("member");
  if (event.type === "message.updated" || event.type === "message.deleted") return subscriptions.includes(event.type);
  if (event.type !== "message.created") return false;
  const message = JSON.parse(event.data) as { sender?: number; mentions?: number[] };
  if (hook.bot_id !== null && message.sender === hook.bot_id) return false;
  if (subscriptions.includes("message.created")) return true;
  return subscriptions.includes("message.mentioned") && hook.bot_id !== null && (message.mentions ?? []).includes(hook.bot_id);
}

async function queueNewEvents(ctx: AppContext, hook: repo.OutgoingRow): Promise<void> {
  const from = Number(hook.cursor_seq);
  const events = await repo.eventsAfter(ctx.reader, hook.conversation_id, from, 500);
  if (events.length === 0) return;
  const now = Date.now();
  const rows = events
    .filter((event) => wanted(hook, event))
    .map((event) => ({
      webhook_id: hook.id,
      event_seq: event.seq,
      event_type: event.type,
      body: `{"type":${JSON.stringify(event.type)},"conversation_id":${event.conversation_id},"seq":${event.seq},"data":${event.data}}`,
      status: "pending" as const,
      created_at: now,
      next_attempt_at: now,
    }));
  await commitWithEvents(ctx, (tx) => repo.queueDeliveries(tx.db, hook.id, from, Number(events.at(-1)!.seq), rows));
}

/** The first bytes of a response body, never more than the cap. */
async function readCapped(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_RESPONSE_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  void reader.cancel().catch(() => {});
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString("utf8");
}

/** A bot answers by replying `{"text": "..."}`: posted into the conversation as the webhook's bot. */
async function postReply(ctx: AppContext, hook: repo.OutgoingRow, text: string): Promise<void> {
  if (hook.bot_id === null) return;
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return;
  }
  const message = typeof reply === "object" && reply !== null ? (reply as { text?: unknown }).text : undefined;
  if (typeof message !== "string" || !message.trim()) return;
  const bot = (await repo.membersOf(ctx.reader, hook.conversation_id)).find((m) => m.user_id === hook.bot_id && m.is_active);
  if (!bot) return;
  const caller = botCaller(bot.user_id, bot.username, `outgoing:${hook.id}`);
  try {
    await sendMessage(ctx, caller, hook.conversation_id, { message });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    ctx.log.warn("a webhook's reply was refused", { webhook_id: hook.id, code: error.code });
  }
}

/** Sends one delivery; true when the receiver took it (2xx). */
async function attempt(ctx: AppContext, hook: repo.OutgoingRow, delivery: repo.DeliveryRow): Promise<boolean> {
  const started = performance.now();
  const now = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  let replyText = "";
  try {
    const url = checkWebhookUrl(hook.url);
    const address = await resolveDestination(url, ctx.config.webhookAllowPrivate);
    const timestamp = String(Math.floor(now / 1000));
    const response = await postTo(
      url,
      address,
      delivery.body,
      {
        "content-type": "application/json",
        "user-agent": "Parley-Webhooks",
        "x-parley-event": delivery.event_type,
        "x-parley-delivery": String(delivery.id),
        "x-parley-timestamp": timestamp,
        "x-parley-signature": signature(hook.secret, delivery.body),
        "x-parley-signature-timestamped": signature(hook.secret, `${timestamp}.${delivery.body}`),
      },
      AbortSignal.timeout(TIMEOUT_MS),
    );
    status = response.status;
    replyText = await readCapped(response);
    if (status < 200 || status >= 300) error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  } catch (thrown) {
    error = (thrown as Error).name === "TimeoutError" ? `No answer within ${TIMEOUT_MS / 1000} s` : String((thrown as Error).message ?? thrown).slice(0, 300);
  }
  const response_ms = Math.round(performance.now() - started);
  if (error === null) {
    await repo.recordAttempt(ctx.db, Number(delivery.id), { status: "delivered", last_attempt_at: now, last_status: status, last_error: null, response_ms });
    await postReply(ctx, hook, replyText);
    return true;
  }
  const failingFor = now - Number(delivery.created_at);
  if (failingFor >= ctx.config.webhookGiveUpMs) {
    await repo.recordAttempt(ctx.db, Number(delivery.id), { status: "failed", last_attempt_at: now, last_status: status, last_error: error, response_ms });
    const reason = `Delivery ${delivery.id} failed for ${Math.round(failingFor / 60_000)} min: ${error}`;
    // Its maker is told on their own topic (a private event, replayed on resume like unread counts).
    await commitWithEvents(ctx, async (tx, emit) => {
      await repo.disableOutgoing(tx.db, hook.id, now, reason);
      if (hook.created_by !== null)
        await emit({
          type: "webhook.disabled",
          conversation_id: hook.conversation_id,
          user_id: hook.created_by,
          private: true,
          data: { webhook_id: hook.id, url: hook.url, reason },
        });
    });
    ctx.log.warn("outgoing webhook disabled", { webhook_id: hook.id, conversation_id: hook.conversation_id, reason });
    return false;
  }
  const delay = Math.min(ctx.config.webhookRetryMs * 2 ** delivery.attempts, MAX_BACKOFF_MS);
  await repo.recordAttempt(ctx.db, Number(delivery.id), {
    next_attempt_at: now + delay,
    last_attempt_at: now,
    last_status: status,
    last_error: error,
    response_ms,
  });
  return false;
}

/** One webhook's turn, under its lease: queue its new events, then deliver in order until one fails or must wait. */
async function work(ctx: AppContext, hookId: number): Promise<void> {
  const node = ctx.cluster.node;
  if (!(await repo.takeLease(ctx.db, hookId, node, Date.now(), Date.now() + LEASE_MS))) return;
  try {
    const hook = await repo.findOutgoing(ctx.db, hookId);
    if (!hook) return;
    await queueNewEvents(ctx, hook);
    for (let sent = 0; sent < PER_TURN; sent++) {
      const delivery = await repo.nextDelivery(ctx.db, hook.id);
      if (!delivery || Number(delivery.next_attempt_at) > Date.now()) return;
      // Renewed before each send: a node that stalled past its lease stops rather than race the node that took over.
      if (!(await repo.takeLease(ctx.db, hookId, node, Date.now(), Date.now() + LEASE_MS))) return;
      if (!(await attempt(ctx, hook, delivery))) return;
    }
  } finally {
    await repo.releaseLease(ctx.db, hookId, node);
  }
}

/** Works the queue every second (or PARLEY_WEBHOOK_RETRY, when shorter) and whenever an event is published. */
export function startWebhookDeliveries(ctx: AppContext): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  const round = async () => {
    for (const { id } of await repo.idleOutgoingIds(ctx.reader, Date.now())) {
      if (stopped) return;
      await work(ctx, id);
    }
  };
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = round()
      .catch((error) => ctx.log.error("webhook deliveries failed", { error: String(error) }))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const timer = setInterval(run, Math.min(1_000, ctx.config.webhookRetryMs));
  ctx.hub.onDeliver((event) => {
    if (!event.private) run();
  });
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
