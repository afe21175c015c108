// Events between nodes. Every node writes its events to the one shared event log; Redis pub/sub only rings the
// other nodes' doorbells with the frames, so they can deliver them to their own sockets at once. The log stays the
// truth: a node that misses a notice (Redis restarting, a dropped connection) reads the events from the log, in
// seq order, through the hub's gap filling and a poll once a second, so delivery stays exactly once and in order.
import { RedisClient } from "bun";
import type { AppContext } from "../../context";
import type { EventType, LoggedEvent } from "./events";
import type { Signal } from "./hub";
import { shareRateLimits } from "../../lib/rate-limit";
import { PRESENCE_TTL_MS, redisPresence, type Presence } from "./presence";

export interface EventTransport {
  /** Tells the other nodes about events this node committed (after the commit). */
  send(events: LoggedEvent[]): void;
  readonly connected: boolean;
  /** Events other nodes announced through Redis. */
  readonly received: number;
  /** Who is online on any node. */
  readonly presence: Presence;
  close(): Promise<void>;
}

interface Notice {
  node: string;
  events?: { seq: number; type: EventType; conversation_id: number; user_id: number | null; private: boolean; frame: string }[];
  signal?: Signal;
}

const RECONNECT_MS = 1_000;
const POLL_MS = 1_000;

/** One channel per cluster: the nodes sharing this database, and no one else on the same Redis. */
export function channelOf(ctx: AppContext): string {
  return `parley:events:${new Bun.CryptoHasher("sha256").update(ctx.config.dataDir).digest("hex").slice(0, 16)}`;
}

export function startRedisTransport(ctx: AppContext, url: string): EventTransport {
  const node = crypto.randomUUID();
  const channel = channelOf(ctx);
  let publisher: RedisClient | null = null;
  let subscriber: RedisClient | null = null;
  let connected = false;
  let closed = false;
  let received = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const receive = (text: string) => {
    try {
      const notice = JSON.parse(text) as Notice;
      if (notice.node === node) return;
      if (notice.signal) ctx.hub.apply(notice.signal);
      received += notice.events?.length ?? 0;
      for (const event of notice.events ?? []) ctx.hub.publish({ ...event, data: JSON.parse(event.frame).data });
    } catch (error) {
      ctx.log.warn("bad event notice from redis", { error: String(error) });
    }
  };

  const down = (why: unknown) => {
    if (closed) return;
    if (connected) ctx.log.warn("redis connection lost; delivering other nodes' events from the log", { error: String(why) });
    connected = false;
    publisher?.close();
    subscriber?.close();
    publisher = subscriber = null;
    clearTimeout(retry);
    retry = setTimeout(connect, RECONNECT_MS);
  };

  async function connect() {
    if (closed) return;
    try {
      const pub = new RedisClient(url, { autoReconnect: false, connectionTimeout: 2_000 });
      await pub.connect();
      const sub = await pub.duplicate();
      await sub.subscribe(channel, receive);
      pub.onclose = down;
      sub.onclose = down;
      publisher = pub;
      subscriber = sub;
      connected = true;
      ctx.log.info("redis connected", { channel });
      void catchUp(); // what was committed elsewhere while this node was not listening
      void presence.renew(); // this node's users, again, after an outage
    } catch (error) {
      down(error);
    }
  }

  // Typing and closing a user's sockets are not logged: they go out only while Redis is there (a lost typing
  // notice is harmless; a lost close leaves a socket whose token no longer works once it reconnects).
  ctx.hub.setRelay((signal) => {
    if (connected && publisher) publisher.publish(channel, JSON.stringify({ node, signal } satisfies Notice)).catch(down);
  });
  const cluster = channel.split(":").at(-1);
  // Rate limits count across nodes, in buckets in Redis (each node its own while Redis is unreachable).
  shareRateLimits(ctx.limits, () => (connected ? publisher : null), `parley:limits:${cluster}`);
  const presence = redisPresence(() => (connected ? publisher : null), ctx.hub, `parley:presence:${cluster}`, node);
  const renewal = setInterval(() => void presence.renew(), PRESENCE_TTL_MS / 3);
  const catchUp = () => ctx.hub.catchUp().catch((error) => ctx.log.warn("reading the event log failed", { error: String(error) }));
  void connect();
  // The safety net: a notice lost on the way (or the last one before an outage) is read from the log within a second.
  const poll = setInterval(() => void catchUp(), POLL_MS);

  return {
    get connected() {
      return connected;
    },
    get received() {
      return received;
    },
    presence,
    send(events) {
      if (!connected || !publisher || events.length === 0) return;
      const notice: Notice = {
        node,
        events: events.map(({ seq, type, conversation_id, user_id, private: isPrivate, frame }) => ({ seq, type, conversation_id, user_id, private: isPrivate, frame })),
      };
      publisher.publish(channel, JSON.stringify(notice)).catch(down);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(poll);
      clearInterval(renewal);
      publisher?.close();
      subscriber?.close();
      connected = false;
    },
  };
}
