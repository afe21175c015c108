// Token-bucket rate limits. Each limit is a RateLimiter; the in-memory one keeps a Map of buckets refilled lazily
// by elapsed time. Kept behind the interface so a shared store (Redis) can hold the buckets for several nodes.
import type { Config, Rate } from "../config";
import { rateLimited } from "./errors";

export interface Decision {
  ok: boolean;
  /** When refused: how long until `cost` tokens are there (0 when allowed). */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens from `key`'s bucket if it holds that many; takes nothing when it refuses. */
  take(key: string, cost?: number): Decision | Promise<Decision>;
  /** Forgets buckets that have refilled completely (they are the same as no bucket); returns how many. */
  prune(): number;
}

const EPSILON = 1e-6;
const ALLOWED: Decision = { ok: true, retryAfterMs: 0 };

export const unlimited: RateLimiter = { take: () => ALLOWED, prune: () => 0 };

interface Bucket {
  tokens: number;
  at: number;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly rate: Rate,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = rate.capacity / rate.periodMs;
  }

  get size(): number {
    return this.buckets.size;
  }

  private level(bucket: Bucket, now: number): number {
    return Math.min(this.rate.capacity, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
  }

  take(key: string, cost = 1): Decision {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? this.level(bucket, now) : this.rate.capacity;
    // A single cost above the capacity (an upload bigger than the byte bucket) needs a full bucket and empties it.
    const needed = Math.min(cost, this.rate.capacity);
    // EPSILON: refill is in floating point, and 0.9999999 token after exactly one token's time is one token.
    if (tokens + EPSILON < needed) return { ok: false, retryAfterMs: Math.ceil((needed - tokens) / this.perMs - EPSILON) };
    if (bucket) {
      bucket.tokens = Math.max(0, tokens - needed);
      bucket.at = now;
    } else this.buckets.set(key, { tokens: tokens - needed, at: now });
    return ALLOWED;
  }

  prune(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, bucket] of this.buckets) {
      if (this.level(bucket, now) + EPSILON >= this.rate.capacity) {
        this.buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }
}

/** Every limit of the app; all `unlimited` when PARLEY_RATE_LIMITS=off. */
export interface RateLimits {
  loginPerIp: RateLimiter;
  /** Keyed by the normalized email tried. */
  loginPerAccount: RateLimiter;
  registerPerIp: RateLimiter;
  /** Keyed by the normalized email being registered: "already taken" answers would otherwise enumerate accounts. */
  registerPerAccount: RateLimiter;
  refreshPerIp: RateLimiter;
  /** Keyed by the user the refresh token names. */
  refreshPerAccount: RateLimiter;
  /** Message sends per user, REST and WebSocket together. */
  sendPerUser: RateLimiter;
  /** Uploaded bytes per user. */
  uploadBytesPerUser: RateLimiter;
  /** Searches per user. */
  searchPerUser: RateLimiter;
  /** Posts per incoming webhook (keyed by its id). */
  postsPerWebhook: RateLimiter;
}

export function createRateLimits(config: Config, now: () => number = Date.now): RateLimits {
  const make = (rate: Rate): RateLimiter => (config.rateLimits ? new MemoryRateLimiter(rate, now) : unlimited);
  return {
    loginPerIp: make(config.limitLoginIp),
    loginPerAccount: make(config.limitLoginAccount),
    registerPerIp: make(config.limitRegisterIp),
    registerPerAccount: make(config.limitRegisterAccount),
    refreshPerIp: make(config.limitRefreshIp),
    refreshPerAccount: make(config.limitRefreshAccount),
    sendPerUser: make(config.limitSend),
    uploadBytesPerUser: make(config.limitUploadBytes),
    searchPerUser: make(config.limitSearch),
    postsPerWebhook: make(config.limitWebhook),
  };
}

/** Drops every full bucket (housekeeping): memory stays proportional to the keys active within one period. */
export function pruneRateLimits(limits: RateLimits): number {
  return Object.values(limits).reduce((dropped: number, limiter: RateLimiter) => dropped + limiter.prune(), 0);
}

/** Takes `cost` from `key`'s bucket, or throws a 429 (`rate_limited`, with Retry-After) saying what was limited. */
export function enforce(limiter: RateLimiter, key: string, what: string, cost = 1): void | Promise<void> {
  const decision = limiter.take(key, cost);
  // The in-memory limiter decides at once: no promise for every send (only the shared store's answer is awaited).
  if (decision instanceof Promise) return decision.then((shared) => refuseUnless(shared, what));
  refuseUnless(decision, what);
}

function refuseUnless({ ok, retryAfterMs }: Decision, what: string): void {
  if (!ok) rateLimited(what, retryAfterMs);
}

// The same bucket as MemoryRateLimiter, in Redis. KEYS[1] the bucket; ARGV: capacity, tokens per ms, now, cost.
// Returns 0 when allowed, else the milliseconds until the tokens are there.
const TAKE = `
local capacity, perMs, now, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if bucket[1] then tokens = math.min(capacity, tonumber(bucket[1]) + math.max(0, now - tonumber(bucket[2])) * perMs) end
local needed = math.min(cost, capacity)
if tokens + 1e-6 < needed then return math.ceil((needed - tokens) / perMs - 1e-6) end
redis.call('HSET', KEYS[1], 'tokens', tostring(math.max(0, tokens - needed)), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / perMs) + 1000)
return 0`;

/** Runs a script on the shared store: the Redis client while it is reachable, or null. */
export type SharedStore = () => { send(command: string, args: string[]): Promise<unknown> } | null;

/**
 * Buckets shared by every node through Redis; while Redis is unreachable each node falls back to its own buckets
 * (limits then count per node, as with one node).
 */
class SharedRateLimiter implements RateLimiter {
  private readonly perMs: number;

  constructor(
    private readonly local: MemoryRateLimiter,
    private readonly store: SharedStore,
    private readonly prefix: string,
  ) {
    this.perMs = local.rate.capacity / local.rate.periodMs;
  }

  async take(key: string, cost = 1): Promise<Decision> {
    const redis = this.store();
    if (!redis) return this.local.take(key, cost);
    try {
      const args = [String(this.local.rate.capacity), String(this.perMs), String(Date.now()), String(cost)];
      const wait = Number(await redis.send("EVAL", [TAKE, "1", `${this.prefix}:${key}`, ...args]));
      return wait > 0 ? { ok: false, retryAfterMs: wait } : ALLOWED;
    } catch {
      return this.local.take(key, cost);
    }
  }

  prune(): number {
    return this.local.prune();
  }
}

/** Moves every limit (not the unlimited ones) onto the shared store, keyed under `prefix`. */
export function shareRateLimits(limits: RateLimits, store: SharedStore, prefix: string): void {
  for (const name of Object.keys(limits) as (keyof RateLimits)[]) {
    const limiter = limits[name];
    if (limiter instanceof MemoryRateLimiter) limits[name] = new SharedRateLimiter(limiter, store, `${prefix}:${name}`);
  }
}
