// Queries of sign-in: token revocations, WebSocket tickets, and the owner of a token.
import type { Db } from "../../db";
import type { Insertable } from "kysely";
import { prepared, selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import type { ApiTokenTable } from "../../db/schema";

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

function selectApiTokenOwner() {
  return sqlBuilder
    .selectFrom("api_tokens as t")
    .innerJoin("users", "users.id", "t.user_id")
    .selectAll("users")
    .select(["t.id as token_id", "t.scopes as token_scopes", "t.expires_at as token_expires_at", "t.last_used_at as token_last_used_at"]);
}
const apiTokenOwner = prepared((hash: string) => selectApiTokenOwner().where("t.hash", "=", hash));
const apiTokenOwnerById = prepared((id: number) => selectApiTokenOwner().where("t.id", "=", id));
export type ApiTokenOwner = NonNullable<Awaited<ReturnType<typeof findApiTokenOwner>>>;

/** The API token with this hash and its user: on every request made with an API token. */
export async function findApiTokenOwner(reader: Connection, hash: string) {
  return (await apiTokenOwner.run(reader, hash))[0];
}

/** The same, by the token's id (a WebSocket ticket names its token by id). */
export async function findApiTokenOwnerById(reader: Connection, id: number) {
  return (await apiTokenOwnerById.run(reader, id))[0];
}

export async function insertApiToken(db: Db, row: Insertable<ApiTokenTable>) {
  return db.insertInto("api_tokens").values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listApiTokens(reader: Connection, userId: number) {
  return selectRows(reader, sqlBuilder.selectFrom("api_tokens").selectAll().where("user_id", "=", userId).orderBy("id", "desc"));
}

/** Deletes a token of `userId`'s; false when there was none. */
export async function deleteApiToken(db: Db, userId: number, id: number): Promise<boolean> {
  const result = await db.deleteFrom("api_tokens").where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Records a use, unless one was recorded since `notBefore` (the condition makes concurrent touches no-ops). */
export async function touchApiToken(db: Db, id: number, now: number, notBefore: number): Promise<void> {
  await db
    .updateTable("api_tokens")
    .set({ last_used_at: now })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", notBefore)]))
    .execute();
}
