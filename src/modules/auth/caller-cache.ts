// The callers access tokens stood for, as this node last checked them: reading the token's owner and its revocations
// was a tenth of a REST send. Only valid answers are kept, per user, and all of a user's go when anything about their
// sign-in changes: every such change (logout, a revoked login or API token, a new password, logout everywhere,
// deactivation, deletion) closes the user's sockets through hub.disconnectUser, whose signal reaches this node at
// once and the other nodes through Redis (app.ts wires it here). A signal lost on the way between nodes costs at
// most MAX_AGE_MS: an entry is checked against the database again after that, as the event log's poll bounds a lost event.
import type { AuthUser } from "./caller";

/** How long a check is trusted without a signal: PARLEY_LOG_POLL's default, the bound the cluster already has. */
export const MAX_AGE_MS = 1_000;
/** Tokens kept at most; past that the cache starts over (cheaper than tracking recency). */
const CAPACITY = 10_000;

interface Entry {
  caller: AuthUser;
  at: number;
}

export class CallerCache {
  private readonly byUser = new Map<number, Map<string, Entry>>();
  private size = 0;
  /** Bumped by every change: a check that began before one must not be kept (it may have read what was before). */
  private epoch = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The caller of token `jti` of `userId`, if checked less than MAX_AGE_MS ago and unchanged since. */
  get(userId: number, jti: string): AuthUser | undefined {
    const entry = this.byUser.get(userId)?.get(jti);
    return entry && this.now() - entry.at < MAX_AGE_MS ? entry.caller : undefined;
  }

  /** The epoch to hand back to `set` with what a check found. */
  get version(): number {
    return this.epoch;
  }

  set(version: number, caller: AuthUser, checkedAt: number) {
    if (version !== this.epoch) return;
    if (this.size >= CAPACITY) this.clear();
    let tokens = this.byUser.get(caller.id);
    if (!tokens) this.byUser.set(caller.id, (tokens = new Map()));
    if (!tokens.has(caller.token.jti)) this.size++;
    tokens.set(caller.token.jti, { caller, at: checkedAt });
  }

  /** Forgets every token of the user: something about their sign-in changed. */
  forget(userId: number) {
    this.epoch++;
    this.size -= this.byUser.get(userId)?.size ?? 0;
    this.byUser.delete(userId);
  }

  clear() {
    this.epoch++;
    this.size = 0;
    this.byUser.clear();
  }
}
