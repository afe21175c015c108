// Sends Web Push for committed messages: a direct message to its other member, a mention to the mentioned, when
// they have no open socket anywhere (presence), and never for a conversation they muted (as the page's desktop
// notifications). Off the commit path: the work starts on the next turn, deliveries run at most
// MAX_IN_FLIGHT at a time, a burst in one conversation is pushed as its newest message (see messageCreated), and at
// most MAX_PENDING (conversation, recipient) pairs wait (beyond that a push is dropped and counted).
// Encryption (RFC 8291, aes128gcm) and the VAPID token (RFC 8292) are web-push's; the POST and its retries are ours.
import type { Db } from "../../db";
import type { Connection } from "../../db/prepared";
import { RefusedDestination, resolveDestination, UnresolvedDestination, postTo, type Resolver } from "../../lib/destinations";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../../lib/metrics";
import type { MessageView } from "../messages/model";
import type { PushPayload, VapidKeys } from "./model";
import * as repo from "./repository";

const MAX_IN_FLIGHT = 16;
const MAX_PENDING = 1_000;
const MAX_ATTEMPTS = 4;
/** A push service asking for a longer wait than this (Retry-After) is not retried. */
const MAX_RETRY_DELAY_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** How long the push service keeps a push for a browser that is offline: a day-old "new message" is still news. */
const TTL_SECONDS = 24 * 60 * 60;
const EXCERPT_LENGTH = 100;

/** web-push, loaded at the first push (its import costs every process start ~70 ms otherwise). */
let webPush: Promise<typeof import("web-push")> | undefined;
const loadWebPush = () => (webPush ??= import("web-push").then((module) => module.default ?? module));

export interface PushSenderOptions {
  db: Db;
  reader: Connection;
  log: Logger;
  keys: VapidKeys;
  /** The VAPID `sub` (PARLEY_PUSH_SUBJECT). */
  subject: string;
  /** Which of these users have an open socket on any node. */
  online: (userIds: number[]) => Promise<Set<number>>;
  /** PARLEY_PUSH_ALLOW_HTTP: endpoints on private addresses (a local stand-in push service) too. */
  allowPrivate: boolean;
  /** How host names are resolved (tests); the system's resolver by default. */
  resolver?: Resolver;
  /** The first retry's wait; each next one doubles. */
  retryDelayMs?: number;
}

/** `text` cut to `length` characters (not UTF-16 units), whitespace folded. */
function shorten(text: string, length: number): string {
  const chars = [...text.replace(/\s+/g, " ").trim()];
  return chars.length > length ? `${chars.slice(0, length - 1).join("")}…` : chars.join("");
}

/** Who a message may be pushed to: the other side of a direct conversation and the mentioned, never the sender. */
function recipientsOf(message: MessageView): number[] {
  const ids = new Set(message.mentions);
  if (message.receiver_user !== null) ids.add(message.receiver_user);
  ids.delete(message.sender);
  return [...ids];
}

export class PushSender {
  sent = 0;
  failed = 0;
  /** Subscriptions removed: the push service said they are gone (404/410), or their owner's sessions ended. */
  removed = 0;
  dropped = 0;
  /** Pushes not sent because a newer message of the same conversation replaced them while they waited. */
  coalesced = 0;
  /** Per conversation and recipient: a push is under way; `next` is the newest message waiting behind it. */
  private readonly queues = new Map<string, { userId: number; next: MessageView | null }>();
  private inFlight = 0;
  private readonly slots: Array<() => void> = [];
  private readonly whenSettled: Array<() => void> = [];
  private readonly stopping = new AbortController();

  constructor(private readonly options: PushSenderOptions) {}

  /** The VAPID public key browsers subscribe with (GET /api/push/key/). */
  get publicKey(): string {
    return this.options.keys.publicKey;
  }

  /** Its counters in /metrics. */
  registerReadings(metrics: Metrics): void {
    metrics.reading("parley_push_sent_total", "Web Push messages a push service accepted.", "counter", () => this.sent);
    metrics.reading("parley_push_failed_total", "Web Push messages given up on (refused, or retries exhausted).", "counter", () => this.failed);
    metrics.reading(
      "parley_push_subscriptions_removed_total",
      "Web Push subscriptions removed: gone (404/410) or their sessions ended.",
      "counter",
      () => this.removed,
    );
    metrics.reading(
      "parley_push_coalesced_total",
      "Web Push messages replaced by a newer one of the same conversation while waiting.",
      "counter",
      () => this.coalesced,
    );
    metrics.reading("parley_push_dropped_total", "Web Push messages dropped because too many were waiting.", "counter", () => this.dropped);
  }

  /**
   * Called after the commit, for every message.created; returns at once. While a push to someone for a conversation
   * is under way, later messages of it wait, and only the newest is pushed after it (the notification of a
   * conversation replaces the one before anyway) — unless an older waiting one mentions them and the newest does not.
   */
  messageCreated(message: MessageView): void {
    if (this.stopping.signal.aborted) return;
    for (const userId of recipientsOf(message)) {
      const key = `${message.conversation_id}:${userId}`;
      const queue = this.queues.get(key);
      if (queue) {
        if (queue.next) this.coalesced++;
        if (!queue.next?.mentions.includes(userId) || message.mentions.includes(userId)) queue.next = message;
      } else if (this.queues.size >= MAX_PENDING) {
        this.dropped++;
      } else {
        this.queues.set(key, { userId, next: message });
        setImmediate(() => void this.drain(key));
      }
    }
  }

  /** Resolves once no push is waiting or being sent (tests; shutdown). */
  settled(): Promise<void> {
    return this.queues.size === 0 ? Promise.resolve() : new Promise((resolve) => this.whenSettled.push(resolve));
  }

  /** Abandons waiting retries and requests under way (shutdown). */
  stop(): void {
    this.stopping.abort();
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    for (let message = queue.next; message && !this.stopping.signal.aborted; message = queue.next) {
      queue.next = null;
      await this.notify(message, queue.userId).catch((error) => this.options.log.warn("web push failed", { error: String(error) }));
    }
    this.queues.delete(key);
    if (this.queues.size === 0) for (const resolve of this.whenSettled.splice(0)) resolve();
  }

  private async notify(message: MessageView, userId: number): Promise<void> {
    if ((await this.options.online([userId])).has(userId)) return;
    const targets = await repo.pushTargets(this.options.reader, message.conversation_id, userId);
    const chosen = [];
    for (const target of targets) {
      if (Number(target.generation) !== Number(target.token_generation)) await this.remove(target);
      else if (!target.muted) chosen.push(target);
    }
    if (chosen.length === 0) return;
    const sender = (await repo.senderName(this.options.reader, message.sender)) ?? message.sender_username;
    const payload: PushPayload = {
      conversation_id: message.conversation_id,
      message_id: message.id,
      sender: shorten(sender, EXCERPT_LENGTH),
      excerpt: shorten(message.message || message.attachment?.name || "", EXCERPT_LENGTH),
    };
    const body = JSON.stringify(payload);
    await Promise.all(chosen.map((target) => this.deliver(target, body)));
  }

  private async deliver(target: repo.PushTarget, body: string): Promise<void> {
    const { keys, subject, log } = this.options;
    const webpush = await loadWebPush();
    let request: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      request = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, body, {
        vapidDetails: { subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
        TTL: TTL_SECONDS,
        urgency: "high",
      });
    } catch (error) {
      // Keys that cannot be encrypted to will never work: the subscription goes.
      log.warn("web push subscription unusable; removed", { user_id: target.user_id, error: String(error) });
      return this.remove(target);
    }
    const { "Content-Length": _, ...headers } = request.headers as Record<string, string>;
    const service = new URL(target.endpoint).host; // never the path: it is the subscription's capability
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.post(new URL(request.endpoint), headers, new Uint8Array(request.body as Buffer) as Uint8Array<ArrayBuffer>);
      if (this.stopping.signal.aborted) return;
      if ("refused" in outcome) {
        // Where it resolves now is not public (DNS may have changed since subscribing): as good as gone.
        log.warn("web push endpoint refused; subscription removed", { service, user_id: target.user_id, reason: outcome.refused });
        return this.remove(target);
      }
      if ("status" in outcome && outcome.status >= 200 && outcome.status < 300) {
        this.sent++;
        return;
      }
      if ("status" in outcome && (outcome.status === 404 || outcome.status === 410)) return this.remove(target);
      const retryable = "error" in outcome || outcome.status === 429 || outcome.status >= 500;
      const wait = "status" in outcome && outcome.retryAfterMs !== null ? outcome.retryAfterMs : (this.options.retryDelayMs ?? 500) * 2 ** (attempt - 1);
      if (!retryable || attempt >= MAX_ATTEMPTS || wait > MAX_RETRY_DELAY_MS) {
        this.failed++;
        log.warn("web push not delivered", {
          service,
          user_id: target.user_id,
          attempts: attempt,
          ...("status" in outcome ? { status: outcome.status } : { error: outcome.error }),
        });
        return;
      }
      await this.pause(wait);
      if (this.stopping.signal.aborted) return;
    }
  }

  /**
   * One POST to the push service, holding one of MAX_IN_FLIGHT slots, to the address its name resolves to now, unless
   * that is not public (the same rule as outgoing webhooks: lib/destinations.ts).
   */
  private async post(
    endpoint: URL,
    headers: Record<string, string>,
    body: Uint8Array<ArrayBuffer>,
  ): Promise<{ status: number; retryAfterMs: number | null } | { error: string } | { refused: string }> {
    if (this.inFlight < MAX_IN_FLIGHT) this.inFlight++;
    else await new Promise<void>((resolve) => this.slots.push(resolve)); // the slot is handed over, still counted
    try {
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
      const address = await resolveDestination(endpoint, this.options.allowPrivate, this.options.resolver);
      const response = await postTo(endpoint, address, body, headers, signal);
      await response.arrayBuffer().catch(() => undefined);
      const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
      return { status: response.status, retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : null };
    } catch (error) {
      if (error instanceof UnresolvedDestination) return { error: "does not resolve" };
      if (error instanceof RefusedDestination) return { refused: error.message };
      return { error: (error as Error).name === "TimeoutError" ? "timeout" : "network error" };
    } finally {
      const next = this.slots.shift();
      if (next) next();
      else this.inFlight--;
    }
  }

  /** Waits `ms`, or less if the sender stops meanwhile (a retry must not hold the process open on shutdown). */
  private pause(ms: number): Promise<void> {
    const { signal } = this.stopping;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private async remove(target: repo.PushTarget): Promise<void> {
    await repo.removeSubscription(this.options.db, target.id, target.endpoint);
    this.removed++;
  }
}
