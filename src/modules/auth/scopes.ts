// What each API token scope allows, decided here and nowhere else: every REST route and every /ws operation.
//   read   GET/HEAD of the API, opening /ws (and its ticket), searching, listing one's own tokens
//   write  everything else outside /api/admin/ (sending, editing, reacting, joining, marking read, managing tokens)
//   admin  /api/admin/… (and staff powers elsewhere: a staff user's token without `admin` acts as a non-staff user)
// Access tokens from a login carry every scope (staff powers still need is_staff); API tokens only those given.
import { AppError } from "../../lib/errors";

export const SCOPES = ["read", "write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** POSTs that only read (or only open a socket to read). */
const READING_POSTS = new Set(["/api/ws-ticket/"]);

/** The scope a REST request needs: by method and path, with /api/admin/ needing `admin`. */
export function scopeForRequest(method: string, path: string): Scope {
  if (path.startsWith("/api/admin/")) return "admin";
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return "read";
  return READING_POSTS.has(path) ? "read" : "write";
}

/** The scope a /ws operation needs: sending, editing, typing and marking read write; subscribing and syncing read. */
export function scopeForOperation(type: string): Scope {
  return type === "ping" || type === "sync" ? "read" : "write";
}

/** 403 `insufficient_scope` unless `scopes` holds `needed`. */
export function requireScope(scopes: readonly Scope[], needed: Scope): void {
  if (!scopes.includes(needed)) throw new AppError(403, "insufficient_scope", `This token lacks the "${needed}" scope.`);
}
