// Queries of the staff pages: accounts and groups, newest first, searched by the start of a name.
import type { Db } from "../../db";
import { selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import { startsWith } from "../../db/like";
import type { UserRow } from "../../db/schema";

/** Users, newest first, below `before`; `keys` (username key and email, normalized) match the start of either. */
export async function listUsers(
  connection: Connection,
  window: { before?: number; limit: number },
  keys: { username: string; email: string } | null,
): Promise<UserRow[]> {
  let select = sqlBuilder.selectFrom("users").selectAll().orderBy("id", "desc").limit(window.limit);
  if (window.before !== undefined) select = select.where("id", "<", window.before);
  if (keys) select = select.where((eb) => eb.or([startsWith("username_key", keys.username), startsWith("email", keys.email)]));
  return selectRows(connection, select);
}

/** Switches an account on, or off with every token it holds ended; undefined when there is no such user. */
export async function setActive(db: Db, userId: number, active: boolean): Promise<UserRow | undefined> {
  return db
    .updateTable("users")
    .set((eb) => (active ? { is_active: 1 } : { is_active: 0, token_generation: eb("token_generation", "+", 1) }))
    .where("id", "=", userId)
    .returningAll()
    .executeTakeFirst();
}

/** Groups, newest first, with their member counts; `nameKey` matches the start of the name. */
export async function listGroups(connection: Connection, window: { before?: number; limit: number }, nameKey: string) {
  let select = sqlBuilder
    .selectFrom("conversations as c")
    .select(["c.id", "c.name", "c.created_by", "c.created_at"])
    .select((eb) =>
      eb
        .selectFrom("conversation_members as m")
        .select((e) => e.fn.countAll<number>().as("n"))
        .whereRef("m.conversation_id", "=", "c.id")
        .as("member_count"),
    )
    .where("c.kind", "=", "group")
    .orderBy("c.id", "desc")
    .limit(window.limit);
  if (window.before !== undefined) select = select.where("c.id", "<", window.before);
  if (nameKey) select = select.where(startsWith("c.name_key", nameKey));
  return selectRows(connection, select);
}

export async function listBots(connection: Connection): Promise<UserRow[]> {
  return selectRows(connection, sqlBuilder.selectFrom("users").selectAll().where("is_bot", "=", 1).orderBy("id", "desc").limit(500));
}

export async function findBot(connection: Connection, id: number): Promise<UserRow | undefined> {
  return (await selectRows(connection, sqlBuilder.selectFrom("users").selectAll().where("id", "=", id).where("is_bot", "=", 1)))[0];
}
