// Queries of sign-in: token revocations, WebSocket tickets, and the owner of a token.
import type { Db } from "../../db";
import { prepared, sqlBuilder, type Connection } from "../../db/prepared";

const tokenOwner = prepared((jti: string, family: string, userId: number) =>
  sqlBuilder
    .selectFrom("users")
    .leftJoin("revoked_tokens", (join) => join.on("revoked_tokens.jti", "=", jti))
    .leftJoin("revoked_tokens as revoked_family", (join) => join.on("revoked_family.jti", "=", family))
    .selectAll("users")
    .select(["revoked_tokens.jti as revoked", "revoked_family.jti as family_revoked"])
    .where("users.id", "=", userId),
);

/** The user a token names, with whether the token (`jti`) or its family (`familyKey`) was revoked: on every authenticated request. */
export async function findTokenOwner(reader: Connection, jti: string, familyKey: string, userId: number) {
  return (await tokenOwner.run(reader, jti, familyKey, userId))[0];
}

/** Records a revoked token id (or family key); false when it was revoked already (the insert is the lock). */
export async function insertRevoked(db: Db, jti: string, expiresAt: number): Promise<boolean> {
  const result = await db
    .insertInto("revoked_tokens")
    .values({ jti, expires_at: expiresAt })
    .onConflict((oc) => oc.column("jti").doNothing())
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

export async function deleteRevokedBefore(db: Db, now: number): Promise<number> {
  return Number((await db.deleteFrom("revoked_tokens").where("expires_at", "<", now).executeTakeFirst()).numDeletedRows);
}

/** Replaces a password hash only if it is still `expected` (a password set concurrently wins). */
export async function replacePasswordHash(db: Db, userId: number, expected: string, passwordHash: string): Promise<void> {
  await db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", userId).where("password_hash", "=", expected).execute();
}

export async function insertWsTicket(db: Db, row: { hash: string; user_id: number; claims: string; expires_at: number }): Promise<void> {
  await db.insertInto("ws_tickets").values(row).execute();
}

/** Deletes a ticket and returns what it held: of two uses at once, on any nodes, only one gets the row. */
export async function takeWsTicket(db: Db, hash: string) {
  return db.deleteFrom("ws_tickets").where("hash", "=", hash).returning(["claims", "expires_at"]).executeTakeFirst();
}

export async function deleteWsTicketsBefore(db: Db, now: number): Promise<number> {
  return Number((await db.deleteFrom("ws_tickets").where("expires_at", "<=", now).executeTakeFirst()).numDeletedRows);
}
