// Token-bucket rate limits. Each limit is a RateLimiter; the in-memory one keeps a Map of buckets refilled lazily
// by elapsed time. Kept behind the interface so a shared store (Redis) can hold the buckets for several nodes.
import type { Config } from "../config";
import { rateLimited } from "./errors";

/** A burst of `capacity` tokens, refilled at `capacity` per `periodMs` (so "10/1m": 10 at once, then one every 6 s). */
export interface Rate {
  capacity: number;
  periodMs: number;
}

export interface Decision {
  ok: boolean;
  /** When refused: how long until `cost` tokens are there (0 when allowed). */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens from `key`'s bucket if it holds that many; takes nothing when it refuses. */
  take(key: string, cost?: number): Decision;
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
  };
}

/** Drops every full bucket (housekeeping): memory stays proportional to the keys active within one period. */
export function pruneRateLimits(limits: RateLimits): number {
  return Object.values(limits).reduce((dropped: number, limiter: RateLimiter) => dropped + limiter.prune(), 0);
}

/** Takes `cost` from `key`'s bucket, or throws a 429 (`rate_limited`, with Retry-After) saying what was limited. */
export function enforce(limiter: RateLimiter, key: string, what: string, cost = 1): void {
  const { ok, retryAfterMs } = limiter.take(key, cost);
  if (!ok) rateLimited(what, retryAfterMs);
}
