// Long-lived API tokens for scripts and bots: `parley_` and 43 characters of a 256-bit random secret (the prefix lets
// secret scanners spot a leaked one). Only the token's SHA-256 is stored: a slow password hash (argon2) defends
// low-entropy secrets against guessing, which a 256-bit random one does not need, and it would cost ~35-150 ms on
// every request; a fast hash still makes a stolen table useless. No cache: each request reads the row, so a
// revoked token, a deactivated or deleted user stops working at once on every node sharing the database.
import { randomBytes } from "node:crypto";
import type { AppContext } from "../../context";
import { badRequest, forbidden, notFound, tokenNotValid } from "../../lib/errors";
import * as repo from "./repository";
import { SCOPES, type Scope } from "./scopes";
import type { AuthUser } from "./caller";
import type { TokenClaims } from "./tokens";

export const API_TOKEN_PREFIX = "parley_";
/** A use is recorded at most once a minute per token (a conditional UPDATE), not a write per request. */
const LAST_USED_GRANULARITY_MS = 60_000;
/** API tokens have no expiry of their own unless given one; JWT-shaped claims need an `exp`. */
const NO_EXPIRY_S = 253_402_300_799; // 9999-12-31

export const isApiToken = (token: string) => token.startsWith(API_TOKEN_PREFIX);
export const sha256Hex = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");
/** The family of a token's sockets: revoking the token closes them (hub.disconnectUser). */
export const apiTokenFamily = (id: number) => `api:${id}`;

export interface ApiTokenView {
  id: number;
  name: string;
  scopes: Scope[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
const parseScopes = (text: string) => text.split(" ").filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));

/** A login's access token holds every scope: scopes narrow API tokens; staff powers come from is_staff either way. */
export const SESSION_SCOPES: readonly Scope[] = SCOPES;

type Owner = repo.ApiTokenOwner;

/** The caller an API token stands for: staff powers only with the `admin` scope. */
function callerOfToken(owner: Owner): AuthUser {
  const scopes = parseScopes(owner.token_scopes);
  const exp = owner.token_expires_at === null ? NO_EXPIRY_S : Math.floor(Number(owner.token_expires_at) / 1000);
  const family = apiTokenFamily(owner.token_id);
  const token: TokenClaims = {
    token_type: "access",
    user_id: owner.id,
    jti: family,
    exp,
    iat: 0,
    gen: owner.token_generation,
    fam: family,
    api: owner.token_id,
  };
  return { id: owner.id, username: owner.username, is_staff: !!owner.is_staff && scopes.includes("admin"), is_bot: !!owner.is_bot, scopes, token };
}

function checkOwner(ctx: AppContext, owner: Owner | undefined, now: number): AuthUser {
  if (!owner || !owner.is_active) tokenNotValid("Token is invalid, revoked or expired");
  if (owner.token_expires_at !== null && Number(owner.token_expires_at) <= now) tokenNotValid("Token is invalid, revoked or expired");
  const lastUsed = owner.token_last_used_at === null ? null : Number(owner.token_last_used_at);
  if (lastUsed === null || lastUsed < now - LAST_USED_GRANULARITY_MS) {
    repo
      .touchApiToken(ctx.db, owner.token_id, now, now - LAST_USED_GRANULARITY_MS)
      .catch((error) => ctx.log.warn("recording a token's use failed", { error: String(error) }));
  }
  return callerOfToken(owner);
}

export async function authenticateApiToken(ctx: AppContext, token: string, now = Date.now()): Promise<AuthUser> {
  return checkOwner(ctx, await repo.findApiTokenOwner(ctx.reader, sha256Hex(token)), now);
}

/** A WebSocket ticket issued to an API token is good only while the token is. */
export async function callerOfApiToken(ctx: AppContext, id: number, now = Date.now()): Promise<AuthUser> {
  return checkOwner(ctx, await repo.findApiTokenOwnerById(ctx.reader, id), now);
}

export interface NewApiToken {
  name: string;
  scopes: Scope[];
  /** ISO date-time; absent or null: never expires. */
  expires_at?: string | null;
}

const toView = (row: {
  id: number;
  name: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}): ApiTokenView => ({
  id: row.id,
  name: row.name,
  scopes: parseScopes(row.scopes),
  created_at: iso(row.created_at)!,
  expires_at: iso(row.expires_at),
  last_used_at: iso(row.last_used_at),
});

/**
 * A new token of `owner` (the caller, or a bot staff manage); answered once with the token itself. `admin` only for
 * staff owners; a caller using an API token cannot give more scopes than its own.
 */
export async function createApiToken(
  ctx: AppContext,
  caller: AuthUser,
  owner: { id: number; is_staff: number | boolean },
  input: NewApiToken,
): Promise<ApiTokenView & { token: string }> {
  const scopes = [...new Set(input.scopes)].sort((a, b) => SCOPES.indexOf(a) - SCOPES.indexOf(b));
  if (scopes.length === 0) badRequest("Give at least one scope.");
  if (scopes.includes("admin") && !owner.is_staff) forbidden("Only staff accounts can hold tokens with the admin scope.");
  if (scopes.some((s) => !caller.scopes.includes(s))) forbidden("A token cannot create a token with scopes it does not have itself.");
  const now = Date.now();
  const expiresAt = input.expires_at ? Date.parse(input.expires_at) : null;
  if (expiresAt !== null && (!Number.isFinite(expiresAt) || expiresAt <= now)) badRequest("expires_at must be a date-time in the future.");
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const row = await repo.insertApiToken(ctx.db, {
    user_id: owner.id,
    name: input.name,
    hash: sha256Hex(token),
    scopes: scopes.join(" "),
    created_at: now,
    expires_at: expiresAt,
    last_used_at: null,
  });
  return { ...toView(row), token };
}

export async function listApiTokens(ctx: AppContext, ownerId: number): Promise<ApiTokenView[]> {
  return (await repo.listApiTokens(ctx.reader, ownerId)).map(toView);
}

/** Deletes the token: it stops working at once, and its sockets close on every node. */
export async function revokeApiToken(ctx: AppContext, ownerId: number, tokenId: number): Promise<void> {
  if (!(await repo.deleteApiToken(ctx.db, ownerId, tokenId))) notFound("No such token.");
  ctx.hub.disconnectUser(ownerId, 1008, "Token revoked", apiTokenFamily(tokenId));
}
