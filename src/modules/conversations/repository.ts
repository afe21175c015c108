import type { Db } from "../../db";
import { startsWith } from "../../db/like";
import type { Insertable } from "kysely";
import { prepared, selectFirst, selectRows, sqlBuilder, type Connection } from "../../db/prepared";
import type { ConversationRow, ConversationTable, MemberRow } from "../../db/schema";

export const groupNameKey = (name: string) => name.trim().normalize("NFKC").toLowerCase();
/** The unique key of the direct conversation between two users, whichever of them asks. */
export const directKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

export function findConversation(connection: Connection, id: number): Promise<ConversationRow | undefined> {
  return selectFirst(connection, sqlBuilder.selectFrom("conversations").selectAll().where("id", "=", id));
}

export function findMembership(db: Db, conversationId: number, userId: number): Promise<MemberRow | undefined> {
  return db.selectFrom("conversation_members").selectAll().where("conversation_id", "=", conversationId).where("user_id", "=", userId).executeTakeFirst();
}

/**
 * Who sees `userId`'s presence (and whose they see), themself included where they qualify: members of a group they
 * are in, and the other member of a direct conversation in which both have written; opening one is not enough.
 */
export const presenceContacts = prepared((userId: number) =>
  sqlBuilder
    .selectFrom("conversation_members as mine")
    .innerJoin("conversations as c", "c.id", "mine.conversation_id")
    .innerJoin("conversation_members as theirs", "theirs.conversation_id", "mine.conversation_id")
    .select("theirs.user_id")
    .distinct()
    .where("mine.user_id", "=", userId)
    .where((eb) => {
      const wrote = (member: "mine.user_id" | "theirs.user_id") =>
        eb.exists(eb.selectFrom("messages as m").select("m.id").whereRef("m.conversation_id", "=", "c.id").whereRef("m.sender_id", "=", member));
      return eb.or([eb("c.kind", "=", "group"), eb.and([wrote("mine.user_id"), wrote("theirs.user_id")])]);
    }),
);

export function findGroupByName(db: Db, name: string): Promise<ConversationRow | undefined> {
  return db.selectFrom("conversations").selectAll().where("name_key", "=", groupNameKey(name)).executeTakeFirst();
}

export function findDirect(connection: Connection, a: number, b: number): Promise<ConversationRow | undefined> {
  return selectFirst(connection, sqlBuilder.selectFrom("conversations").selectAll().where("direct_key", "=", directKey(a, b)));
}

export async function insertConversation(db: Db, row: Insertable<ConversationTable>): Promise<ConversationRow> {
  return db.insertInto("conversations").values(row).returningAll().executeTakeFirstOrThrow();
}

/** Adds members that are not members yet; returns the ids actually added. */
export async function addMembers(db: Db, conversationId: number, userIds: number[], role: MemberRow["role"] = "member", now = Date.now()): Promise<number[]> {
  if (userIds.length === 0) return [];
  // A newcomer starts with everything before their arrival read: unread counts only what comes after.
  const newest = await db
    .selectFrom("messages")
    .select((eb) => eb.fn.max("id").as("id"))
    .where("conversation_id", "=", conversationId)
    .executeTakeFirst();
  const lastRead = (newest?.id as number | null | undefined) ?? null;
  const rows = await db
    .insertInto("conversation_members")
    .values(userIds.map((user_id) => ({ conversation_id: conversationId, user_id, role, joined_at: now, last_read_message_id: lastRead })))
    .onConflict((oc) => oc.columns(["conversation_id", "user_id"]).doNothing())
    .returning("user_id")
    .execute();
  return rows.map((r) => r.user_id);
}

export async function removeMember(db: Db, conversationId: number, userId: number): Promise<boolean> {
  const result = await db.deleteFrom("conversation_members").where("conversation_id", "=", conversationId).where("user_id", "=", userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export function listMembers(connection: Connection, conversationIds: number[]) {
  const query = sqlBuilder
    .selectFrom("conversation_members as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["m.conversation_id", "m.user_id", "m.role", "m.joined_at", "m.last_read_message_id", "u.username", "u.first_name", "u.last_name", "u.is_bot"])
    .where("m.conversation_id", "in", conversationIds)
    .orderBy("m.joined_at")
    .orderBy("m.user_id");
  return conversationIds.length === 0 ? Promise.resolve([]) : selectRows(connection, query);
}
export type MemberWithUser = Awaited<ReturnType<typeof listMembers>>[number];

/** The user's conversations with the id of each one's newest message and the caller's counts (index lookups per conversation). */
export function listUserConversations(connection: Connection, userId: number, only: { kind?: ConversationRow["kind"]; conversationId?: number } = {}) {
  let query = sqlBuilder
    .selectFrom("conversation_members as m")
    .innerJoin("conversations as c", "c.id", "m.conversation_id")
    .selectAll("c")
    .select(["m.last_read_message_id", "m.muted"])
    .select((eb) => [
      // From counts the triggers keep (migrations/0016_unread_counts.ts): no walk of the unread messages.
      eb(eb("c.live_messages", "-", eb.ref("m.read_live")), "-", eb.ref("m.own_after_read")).as("unread_count"),
      eb
        .selectFrom("messages")
        .select((e) => e.fn.max("messages.id").as("last"))
        .whereRef("messages.conversation_id", "=", "c.id")
        .as("last_message_id"),
      eb
        .selectFrom("message_mentions as mm")
        .select((e) => e.fn.countAll<number>().as("n"))
        .where("mm.user_id", "=", userId)
        .whereRef("mm.conversation_id", "=", "c.id")
        .where("mm.message_id", ">", eb.fn.coalesce("m.last_read_message_id", eb.lit(0)))
        .as("mention_count"),
    ])
    .where("m.user_id", "=", userId);
  if (only.kind) query = query.where("c.kind", "=", only.kind);
  if (only.conversationId) query = query.where("c.id", "=", only.conversationId);
  return selectRows(connection, query);
}

/**
 * Groups newest first, with their member count and whether `userId` is one of them; `q` matches the start of the
 * name. Private groups only for their members (the others could not join them anyway).
 */
export function listGroupDirectory(connection: Connection, userId: number, query: { q?: string; before?: number; limit: number }) {
  let select = sqlBuilder
    .selectFrom("conversations as c")
    .select(["c.id", "c.name", "c.created_at"])
    .select((eb) =>
      eb
        .selectFrom("conversation_members as m")
        .select((e) => e.fn.countAll<number>().as("n"))
        .whereRef("m.conversation_id", "=", "c.id")
        .as("member_count"),
    )
    .select((eb) =>
      eb
        .exists(
          eb.selectFrom("conversation_members as mine").select("mine.user_id").whereRef("mine.conversation_id", "=", "c.id").where("mine.user_id", "=", userId),
        )
        .as("is_member"),
    )
    .where("c.kind", "=", "group")
    .where((eb) =>
      eb.or([
        eb("c.private", "=", 0),
        eb.exists(
          eb.selectFrom("conversation_members as own").select("own.user_id").whereRef("own.conversation_id", "=", "c.id").where("own.user_id", "=", userId),
        ),
      ]),
    )
    .orderBy("c.id", "desc")
    .limit(query.limit);
  if (query.before !== undefined) select = select.where("c.id", "<", query.before);
  const q = query.q ? groupNameKey(query.q) : "";
  if (q) select = select.where(startsWith("c.name_key", q));
  return selectRows(connection, select);
}

export async function countOwners(db: Db, conversationId: number): Promise<number> {
  const row = await db
    .selectFrom("conversation_members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("conversation_id", "=", conversationId)
    .where("role", "=", "owner")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countMembers(db: Db, conversationId: number): Promise<number> {
  const row = await db
    .selectFrom("conversation_members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("conversation_id", "=", conversationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function setRole(db: Db, conversationId: number, userId: number, role: MemberRow["role"]): Promise<void> {
  await db.updateTable("conversation_members").set({ role }).where("conversation_id", "=", conversationId).where("user_id", "=", userId).execute();
}

export function updateGroup(
  db: Db,
  id: number,
  changes: Partial<Pick<ConversationRow, "name" | "name_key" | "private" | "retention_days">>,
): Promise<ConversationRow> {
  return db.updateTable("conversations").set(changes).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

const conversationForMember = prepared((userId: number, conversationId: number) =>
  sqlBuilder
    .selectFrom("conversations as c")
    .leftJoin("conversation_members as m", (join) => join.onRef("m.conversation_id", "=", "c.id").on("m.user_id", "=", userId))
    .selectAll("c")
    .select(["m.user_id as member", "m.role as member_role"])
    .where("c.id", "=", conversationId),
);

/** The conversation with the user's membership (member null when not one); undefined when there is no such conversation. */
export async function findForMember(reader: Connection, userId: number, conversationId: number) {
  return (await conversationForMember.run(reader, userId, conversationId))[0];
}

/** Sets a member's own state of the conversation: the last-read marker, or muted. */
export async function setMemberState(
  trx: Db,
  conversationId: number,
  userId: number,
  state: Partial<Pick<MemberRow, "last_read_message_id" | "muted">>,
): Promise<void> {
  await trx.updateTable("conversation_members").set(state).where("conversation_id", "=", conversationId).where("user_id", "=", userId).execute();
}

const memberConversations = prepared((userId: number) =>
  sqlBuilder.selectFrom("conversation_members").select("conversation_id").where("user_id", "=", userId).orderBy("conversation_id"),
);

/** The ids of the user's conversations, in id order. */
export async function listMemberConversationIds(reader: Connection, userId: number): Promise<number[]> {
  return (await memberConversations.run(reader, userId)).map((r) => r.conversation_id);
}
