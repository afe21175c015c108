// Who is online. One node knows from its own sockets; several nodes keep, in Redis, one sorted set per user of the
// nodes holding a socket of theirs, each entry with an expiry the node renews: a node that dies takes its entries
// with it within PRESENCE_TTL_MS. Adding or removing a node's entry and counting the rest is one atomic script, so
// exactly one node announces a user coming online or going offline.
import type { RedisClient } from "bun";
import type { Hub } from "./hub";

export interface Presence {
  /** The user's first socket on this node opened; true when they were offline everywhere before. */
  cameOnline(userId: number): Promise<boolean>;
  /** The user's last socket on this node closed; true when they are now offline everywhere. */
  wentOffline(userId: number): Promise<boolean>;
  onlineAmong(userIds: number[]): Promise<Set<number>>;
}

export const localPresence = (hub: Hub): Presence => ({
  cameOnline: async () => true,
  wentOffline: async () => true,
  onlineAmong: async (userIds) => new Set(userIds.filter((id) => hub.isOnline(id))),
});

export const PRESENCE_TTL_MS = 30_000;

// KEYS[1] the user's set; ARGV: now, this node, its entry's expiry (0: remove it). Returns the live entries left.
const UPDATE = `
if ARGV[3] == '0' then redis.call('ZREM', KEYS[1], ARGV[2]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ${PRESENCE_TTL_MS * 2})
return redis.call('ZCARD', KEYS[1])`;

/**
 * Presence shared through Redis; while Redis is unreachable (`client()` null) each node answers from its own sockets.
 * `renew()` must run well within PRESENCE_TTL_MS.
 */
export function redisPresence(client: () => RedisClient | null, hub: Hub, prefix: string, node: string): Presence & { renew(): Promise<void> } {
  const local = localPresence(hub);
  const key = (userId: number) => `${prefix}:${userId}`;
  const update = async (userId: number, present: boolean) => {
    const redis = client();
    if (!redis) return null;
    const now = Date.now();
    return Number(await redis.send("EVAL", [UPDATE, "1", key(userId), String(now), node, present ? String(now + PRESENCE_TTL_MS) : "0"]));
  };
  return {
    async cameOnline(userId) {
      const count = await update(userId, true).catch(() => null);
      return count === null ? local.cameOnline(userId) : count === 1;
    },
    async wentOffline(userId) {
      const count = await update(userId, false).catch(() => null);
      return count === null ? local.wentOffline(userId) : count === 0;
    },
    async onlineAmong(userIds) {
      const redis = client();
      if (!redis || userIds.length === 0) return local.onlineAmong(userIds);
      try {
        const now = String(Date.now());
        const counts = await Promise.all(userIds.map((id) => redis.send("ZCOUNT", [key(id), `(${now}`, "+inf"])));
        return new Set(userIds.filter((_, i) => Number(counts[i]) > 0));
      } catch {
        return local.onlineAmong(userIds);
      }
    },
    async renew() {
      for (const userId of hub.onlineUsers()) await update(userId, true).catch(() => null);
    },
  };
}
