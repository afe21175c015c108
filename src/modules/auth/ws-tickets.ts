// Single-use tickets for opening a WebSocket: the access token stays out of the URL (reverse proxies log URLs).
// A ticket is 32 random bytes, stored only as its SHA-256 in the database (any node sharing it can redeem it), good
// once and for WS_TICKET_TTL_MS, and only while the access token that asked for it is still good.
import { randomBytes } from "node:crypto";
import type { AppContext } from "../../context";
import { tokenNotValid } from "../../lib/errors";
import * as repo from "./repository";
import { callerOf, type AuthUser } from "./service";
import type { TokenClaims } from "./tokens";

export const WS_TICKET_TTL_MS = 30_000;

const hashOf = (ticket: string) => new Bun.CryptoHasher("sha256").update(ticket).digest("hex");

export async function issueWsTicket(ctx: AppContext, caller: AuthUser, now = Date.now()): Promise<{ ticket: string; expires_in: number }> {
  const ticket = randomBytes(32).toString("base64url");
  const expiresAt = Math.min(now + WS_TICKET_TTL_MS, caller.token.exp * 1000); // never outlives its token
  await repo.insertWsTicket(ctx.db, { hash: hashOf(ticket), user_id: caller.id, claims: JSON.stringify(caller.token), expires_at: expiresAt });
  return { ticket, expires_in: Math.max(0, Math.floor((expiresAt - now) / 1000)) };
}

/** The caller a ticket stands for; it is spent by this call, whatever the answer. */
export async function redeemWsTicket(ctx: AppContext, ticket: string, now = Date.now()): Promise<AuthUser> {
  // The delete is the lock: of two uses at once, on any nodes, only one gets the row.
  const row = await repo.takeWsTicket(ctx.db, hashOf(ticket));
  if (!row || Number(row.expires_at) <= now) tokenNotValid("Ticket is invalid, already used or expired");
  // Checked now, not when issued: a logout, password change or deactivation meanwhile ends the ticket too.
  return callerOf(ctx, JSON.parse(row.claims) as TokenClaims);
}

export async function sweepWsTickets(ctx: AppContext, now = Date.now()): Promise<number> {
  return repo.deleteWsTicketsBefore(ctx.db, now);
}
