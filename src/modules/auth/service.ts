// Logging in, token rotation, logout, and turning a Bearer token into the current user.
import { randomUUIDv7 } from "bun";
import type { AppContext } from "../../context";
import type { UserRow } from "../../db/schema";
import { AppError, forbidden, invalidField, notAuthenticated, tokenNotValid } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import { bumpTokenGeneration, findUserByEmail, normalizeEmail } from "../users/repository";
import type { LoginResult } from "./model";
import * as repo from "./repository";
import { tokenFamily, type TokenClaims } from "./tokens";
import { authenticateApiToken, callerOfApiToken, isApiToken, SESSION_SCOPES } from "./api-tokens";
import type { AuthUser } from "./caller";

export type { AuthUser };

/** revoked_tokens holds revoked token ids and, under this key, revoked families (every token of one login). */
const familyKey = (family: string) => `family:${family}`;

// Verifying against a real hash for unknown emails too keeps both refusals equally slow (no account enumeration).
let decoyHash: Promise<string> | undefined;

/** `ip` is the client's rate-limit key: attempts are limited per address and per email tried (brute force). */
export async function login(ctx: AppContext, email: string, password: string, ip: string): Promise<LoginResult> {
  await enforce(ctx.limits.loginPerIp, ip, "Too many login attempts from this address.");
  await enforce(ctx.limits.loginPerAccount, normalizeEmail(email), "Too many login attempts for this account.");
  const user = await findUserByEmail(ctx.reader, email);
  const hash = user?.password_hash ?? (await (decoyHash ??= ctx.passwords.hash("decoy password, never matches")));
  const matches = await ctx.passwords.verify(password, hash);
  if (!user || !matches || !user.is_active || user.is_bot) throw new AppError(401, "invalid_credentials", "Invalid email or password");
  if (ctx.passwords.needsRehash(user.password_hash)) await upgradePasswordHash(ctx, user, password);
  const pair = await issuePair(ctx, user, randomUUIDv7());
  return { ...pair, email: user.email, name: `${user.first_name} ${user.last_name}`.trim(), id: user.id };
}

/** Replaces an imported (Django) hash with our argon2id one, now that the password is known to match. */
async function upgradePasswordHash(ctx: AppContext, user: UserRow, password: string): Promise<void> {
  try {
    const password_hash = await ctx.passwords.hash(password);
    // Only if unchanged meanwhile: a password set concurrently wins.
    await repo.replacePasswordHash(ctx.db, user.id, user.password_hash, password_hash);
  } catch (error) {
    ctx.log.warn("password hash upgrade failed", { user_id: user.id, error: String(error) }); // retried at the next login
  }
}

/** A new access and refresh token of one family (a login, or the login a rotated token descends from). */
async function issuePair(ctx: AppContext, user: UserRow, family: string) {
  const [access, refresh] = await Promise.all([
    ctx.tokens.issue("access", user.id, user.token_generation, family),
    ctx.tokens.issue("refresh", user.id, user.token_generation, family),
  ]);
  return { access: access.token, refresh: refresh.token };
}

/** The user a validly signed token of this type stands for, and whether it or its family was revoked; refused if the account is not active. */
async function readToken(
  ctx: AppContext,
  token: string,
  type: "access" | "refresh",
): Promise<{ user: UserRow; claims: TokenClaims; revoked: "token" | "family" | null }> {
  const claims = await ctx.tokens.verify(token, type);
  if (!claims) {
    const asOther = await ctx.tokens.verify(token, type === "access" ? "refresh" : "access");
    tokenNotValid(asOther ? "Token has wrong type" : "Token is invalid or expired");
  }
  return { ...(await holderOf(ctx, claims)), claims };
}

/** The user verified claims name, and whether the token or its family was revoked; refused if the account is not active or its generation moved on. */
async function holderOf(ctx: AppContext, claims: TokenClaims): Promise<{ user: UserRow; revoked: "token" | "family" | null }> {
  const row = await repo.findTokenOwner(ctx.reader, claims.jti, familyKey(tokenFamily(claims)), claims.user_id);
  const revoked = row?.family_revoked ? "family" : row?.revoked ? "token" : null;
  if (!revoked && (!row?.is_active || row.token_generation !== claims.gen)) tokenNotValid("Token is invalid or expired");
  const { revoked: _, family_revoked: __, ...user } = row ?? {};
  return { user: user as UserRow, revoked };
}

/** The user a token of this type stands for, if it is valid, unrevoked and the account still active. */
async function checkToken(ctx: AppContext, token: string, type: "access" | "refresh"): Promise<{ user: UserRow; claims: TokenClaims }> {
  const { user, claims, revoked } = await readToken(ctx, token, type);
  if (revoked) tokenNotValid("Token is blacklisted");
  return { user, claims };
}

const asCaller = (user: UserRow, claims: TokenClaims): AuthUser => ({
  id: user.id,
  username: user.username,
  is_staff: !!user.is_staff,
  is_bot: !!user.is_bot,
  scopes: SESSION_SCOPES,
  token: claims,
});

/** The caller stored access-token claims stand for, checked now (a WebSocket ticket carries the claims of its token). */
export async function callerOf(ctx: AppContext, claims: TokenClaims): Promise<AuthUser> {
  if (claims.api !== undefined) return callerOfApiToken(ctx, claims.api);
  const { user, revoked } = await holderOf(ctx, claims);
  if (revoked) tokenNotValid("Token is blacklisted");
  return asCaller(user, claims);
}

/**
 * `reuse`: an access token checked moments ago and unchanged since passes without a database read (every REST
 * request, see caller-cache.ts); without it (opening a socket) the check is read afresh, so a database that is away says so.
 */
export async function authenticate(ctx: AppContext, authorization: string | undefined | null, { reuse = false } = {}): Promise<AuthUser> {
  if (!authorization) notAuthenticated();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) tokenNotValid("Authorization header must be: Bearer <token>");
  if (isApiToken(match[1]!)) return authenticateApiToken(ctx, match[1]!);
  // Other nodes' sign-in changes reach this one through Redis: while that link is not up, check every time.
  const trusted = reuse && (!ctx.config.redisUrl || ctx.transport?.connected === true);
  const known = trusted ? await ctx.tokens.verify(match[1]!, "access") : null;
  const cached = known ? ctx.callers.get(known.user_id, known.jti) : undefined;
  if (cached) return cached;
  const version = ctx.callers.version;
  const checkedAt = Date.now();
  const { user, claims } = await checkToken(ctx, match[1]!, "access");
  const caller = asCaller(user, claims);
  if (trusted) ctx.callers.set(version, caller, checkedAt);
  return caller;
}

async function revoke(ctx: AppContext, claims: TokenClaims): Promise<boolean> {
  return repo.insertRevoked(ctx.db, claims.jti, claims.exp * 1000);
}

/**
 * Ends a login after its refresh token was used twice (a sign of theft, OAuth 2.0 Security BCP): every token of the
 * family stops working, whoever holds it, and their sockets close on every node; other logins of the user go on.
 */
async function revokeFamily(ctx: AppContext, claims: TokenClaims): Promise<never> {
  const family = tokenFamily(claims);
  // The family's newest token was issued before now, so it has expired by then (exp is rounded up to a second).
  const expires_at = Date.now() + Math.max(ctx.config.refreshTtlMs, ctx.config.accessTtlMs) + 1_000;
  await repo.insertRevoked(ctx.db, familyKey(family), expires_at);
  ctx.hub.disconnectUser(claims.user_id, 1008, "Session revoked", family);
  ctx.log.warn("a spent refresh token was used again: its login is revoked", { user_id: claims.user_id });
  return tokenNotValid("Token is blacklisted; it was already used, so every token of this login is revoked. Log in again.");
}

/**
 * Rotates a refresh token: the old one is revoked and a new pair of the same family issued. Using a rotated (or
 * logged-out) refresh token again revokes its whole family.
 */
export async function refresh(ctx: AppContext, refreshToken: string, ip: string): Promise<{ access: string; refresh: string }> {
  await enforce(ctx.limits.refreshPerIp, ip, "Too many token refreshes from this address.");
  const { user, claims, revoked } = await readToken(ctx, refreshToken, "refresh");
  if (revoked === "family") tokenNotValid("Token is blacklisted");
  if (revoked === "token") return revokeFamily(ctx, claims);
  // Before the rotation: a refused refresh leaves the token usable for a later try.
  await enforce(ctx.limits.refreshPerAccount, String(user.id), "Too many token refreshes for this account.");
  // The insert is the lock: of two concurrent uses of one refresh token, one wins and the others count as reuse.
  if (!(await revoke(ctx, claims))) return revokeFamily(ctx, claims);
  return issuePair(ctx, user, tokenFamily(claims));
}

/** Ends a session: both the refresh token given and the access token used for the call stop working. */
export async function logout(ctx: AppContext, caller: AuthUser, refreshToken: string): Promise<void> {
  const claims = await ctx.tokens.verify(refreshToken, "refresh");
  if (!claims) invalidField("refresh", "Token is invalid or expired");
  if (claims.user_id !== caller.id) forbidden("That refresh token belongs to another account.");
  await revoke(ctx, claims);
  await revoke(ctx, caller.token);
  ctx.hub.disconnectUser(caller.id, 1008, "Logged out");
}

/** Ends every login of the caller's account (a lost device): a new token generation outdates all its tokens. */
export async function logoutEverywhere(ctx: AppContext, caller: AuthUser): Promise<void> {
  await bumpTokenGeneration(ctx.db, caller.id);
  ctx.hub.disconnectUser(caller.id, 1008, "Logged out everywhere");
}

export async function sweepRevokedTokens(ctx: AppContext, now = Date.now()): Promise<number> {
  return repo.deleteRevokedBefore(ctx.db, now);
}
