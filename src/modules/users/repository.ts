import type { Db } from "../../db";
import { selectFirst, selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import type { NewUser, UserRow, UserUpdate } from "../../db/schema";

export const usernameKey = (username: string) => username.normalize("NFKC").toLowerCase();
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function findUserById(connection: Connection, id: number): Promise<UserRow | undefined> {
  return selectFirst(connection, sqlBuilder.selectFrom("users").selectAll().where("id", "=", id));
}

/** The active account with this username, compared as usernames are kept unique (case-folded, NFKC). */
export function findActiveUserByUsername(connection: Connection, username: string): Promise<UserRow | undefined> {
  return selectFirst(connection, sqlBuilder.selectFrom("users").selectAll().where("username_key", "=", usernameKey(username)).where("is_active", "=", 1));
}

export function findUserByEmail(connection: Connection, email: string): Promise<UserRow | undefined> {
  return selectFirst(connection, sqlBuilder.selectFrom("users").selectAll().where("email", "=", normalizeEmail(email)));
}

/** Which of these identifiers already belong to another account than `exceptId`. */
export async function takenIdentifiers(connection: Connection, username: string | undefined, email: string | undefined, exceptId = 0) {
  const rows = await selectRows(
    connection,
    sqlBuilder
      .selectFrom("users")
      .select(["username_key", "email"])
      .where((eb) =>
        eb.or([
          eb("username_key", "=", username === undefined ? null : usernameKey(username)),
          eb("email", "=", email === undefined ? null : normalizeEmail(email)),
        ]),
      )
      .where("id", "!=", exceptId),
  );
  return {
    username: username !== undefined && rows.some((r) => r.username_key === usernameKey(username)),
    email: email !== undefined && rows.some((r) => r.email === normalizeEmail(email)),
  };
}

export async function insertUser(db: Db, user: Omit<NewUser, "username_key">): Promise<UserRow> {
  return db
    .insertInto("users")
    .values({ ...user, username_key: usernameKey(user.username), email: normalizeEmail(user.email) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateUserRow(db: Db, id: number, changes: Omit<UserUpdate, "username_key">): Promise<UserRow | undefined> {
  const values: UserUpdate = { ...changes };
  if (changes.username !== undefined) values.username_key = usernameKey(changes.username);
  if (changes.email !== undefined) values.email = normalizeEmail(changes.email);
  // Nothing to change (an empty PATCH): Kysely refuses an UPDATE without SET.
  if (Object.values(values).every((value) => value === undefined)) return findUserById(db, id);
  return db.updateTable("users").set(values).where("id", "=", id).returningAll().executeTakeFirst();
}

export async function bumpTokenGeneration(db: Db, id: number): Promise<void> {
  await db
    .updateTable("users")
    .set((eb) => ({ token_generation: eb("token_generation", "+", 1) }))
    .where("id", "=", id)
    .execute();
}

export async function deleteUserRow(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function existingUserIds(db: Db, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom("users").select("id").where("id", "in", ids).execute();
  return new Set(rows.map((r) => r.id));
}

export async function usernameOf(db: Db, userId: number): Promise<string | undefined> {
  return (await db.selectFrom("users").select("username").where("id", "=", userId).executeTakeFirst())?.username;
}
