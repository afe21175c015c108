// Events between nodes. Every node writes its events to the one shared event log; Redis pub/sub only rings the
// other nodes' doorbells with the frames, so they can deliver them to their own sockets at once. The log stays the
// truth: a node that misses a notice (Redis restarting, a dropped connection) reads the events from the log, in
// seq order, through the hub's gap filling and a poll once a second (PARLEY_LOG_POLL), so delivery stays exactly once
// and in order. Every channel and key is named after the cluster id, which the database holds (see cluster.ts).
import { RedisClient } from "bun";
import type { Config } from "../../config";
import type { Logger } from "../../lib/log";
import type { RateLimits } from "../../lib/rate-limit";
import type { Cluster } from "./cluster";
import type { Hub } from "./hub";
import type { EventType, LoggedEvent } from "../../core/events";
import type { Signal } from "./hub";
import { shareRateLimits } from "../../lib/rate-limit";
import { isDatabaseUnreachable } from "../../lib/database-outage";
import { PRESENCE_TTL_MS, redisPresence, type Presence } from "./presence";

export interface EventTransport {
  /** Tells the other nodes about events this node committed (after the commit). */
  send(events: LoggedEvent[]): void;
  readonly connected: boolean;
  /** Events other nodes announced through Redis. */
  readonly received: number;
  /** The nodes of this cluster this one hears (itself included): 1 while Redis is down. */
  readonly nodes: number;
  /** Who is online on any node. */
  readonly presence: Presence;
  close(): Promise<void>;
}

interface Notice {
  node: string;
  events?: { seq: number; type: EventType; conversation_id: number; user_id: number | null; private: boolean; frame: string }[];
  signal?: Signal;
  /** "hello": a node (re)joined, answer it; "alive": the periodic heartbeat; "bye": a node is stopping. */
  heartbeat?: "hello" | "alive" | "bye";
}

const RECONNECT_MS = 1_000;
/** How often a node says it is alive (and renews its presence entries); a node silent for PRESENCE_TTL_MS is gone. */
const HEARTBEAT_MS = PRESENCE_TTL_MS / 3;

/** What the transport needs of the app (its AppContext). */
export interface TransportDeps {
  cluster: Cluster;
  config: Pick<Config, "logPollMs">;
  hub: Hub;
  limits: RateLimits;
  log: Logger;
}

export function startRedisTransport(ctx: TransportDeps, url: string): EventTransport {
  const { id: cluster, node } = ctx.cluster;
  const channel = `parley:events:${cluster}`;
  let publisher: RedisClient | null = null;
  let subscriber: RedisClient | null = null;
  let connected = false;
  let closed = false;
  let received = 0;
  const peers = new Map<string, number>(); // other nodes heard, and when last
  // Nodes that said bye, and when: a notice they sent after it (a socket closing as they stop) is news, not a node.
  const departed = new Map<string, number>();
  let retry: ReturnType<typeof setTimeout> | undefined;

  // Redis hands this node its own notices too: known by their first bytes (announce writes the node first), not parsed.
  const own = `{"node":${JSON.stringify(node)},`;
  const receive = (text: string) => {
    if (text.startsWith(own)) return;
    try {
      const notice = JSON.parse(text) as Notice;
      if (notice.node === node) return;
      if (notice.heartbeat === "bye") {
        peers.delete(notice.node);
        departed.set(notice.node, Date.now());
      } else if (!departed.has(notice.node)) peers.set(notice.node, Date.now());
      if (notice.heartbeat === "hello") void heartbeat("alive"); // so a node that just joined counts us at once
      if (notice.signal) ctx.hub.applySignal(notice.signal);
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
    peers.clear();
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
      void heartbeat("hello");
      void catchUp(); // what was committed elsewhere while this node was not listening
      void presence.renew(); // this node's users, again, after an outage
    } catch (error) {
      down(error);
    }
  }

  const announce = async (notice: Omit<Notice, "node">) => {
    if (connected && publisher) await publisher.publish(channel, JSON.stringify({ node, ...notice } satisfies Notice)).catch(down);
  };
  const heartbeat = (kind: NonNullable<Notice["heartbeat"]>) => announce({ heartbeat: kind });
  // Typing and closing a user's sockets are not logged: they go out only while Redis is there (a lost typing
  // notice is harmless; a lost close leaves a socket whose token no longer works once it reconnects).
  ctx.hub.setRelay((signal) => void announce({ signal }));
  // Rate limits count across nodes, in buckets in Redis (each node its own while Redis is unreachable).
  shareRateLimits(ctx.limits, () => (connected ? publisher : null), `parley:limits:${cluster}`);
  const presence = redisPresence(() => (connected ? publisher : null), ctx.hub, `parley:presence:${cluster}`, node);
  const renewal = setInterval(() => {
    void presence.renew();
    void heartbeat("alive");
  }, HEARTBEAT_MS);
  // While the database is away the poll fails every time: the outage is logged once elsewhere (lib/database-outage.ts).
  const catchUp = () =>
    ctx.hub.catchUp().catch((error) => isDatabaseUnreachable(error) || ctx.log.warn("reading the event log failed", { error: String(error) }));
  void connect();
  // The safety net: a notice lost on the way (or the last one before an outage) is read from the log within a poll.
  const poll = ctx.config.logPollMs ? setInterval(() => void catchUp(), ctx.config.logPollMs) : undefined;

  return {
    get connected() {
      return connected;
    },
    get received() {
      return received;
    },
    get nodes() {
      if (!connected) return 1;
      const since = Date.now() - PRESENCE_TTL_MS;
      for (const [peer, heard] of peers) if (heard < since) peers.delete(peer);
      for (const [peer, left] of departed) if (left < since) departed.delete(peer);
      return 1 + peers.size;
    },
    presence,
    send(events) {
      if (events.length === 0) return;
      void announce({
        events: events.map(({ seq, type, conversation_id, user_id, private: isPrivate, frame }) => ({
          seq,
          type,
          conversation_id,
          user_id,
          private: isPrivate,
          frame,
        })),
      });
    },
    async close() {
      // The others stop counting this node now, not PRESENCE_TTL_MS from now (a Redis that does not answer can't hold up the stop).
      await Promise.race([heartbeat("bye"), Bun.sleep(RECONNECT_MS)]);
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
