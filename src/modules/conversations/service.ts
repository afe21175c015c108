// Groups and direct conversations: who is in them, and the membership guard every conversation read or write passes.
import type { AppContext } from "../../context";
import type { Db } from "../../db";
import type { Connection } from "../../db/prepared";
import type { ConversationRow, MemberRow } from "../../db/schema";
import { AppError, forbidden, invalidField, notFound } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { findMessagesByIds } from "../messages/repository";
import { toMessageView } from "../messages/view";
import { commitWithEvents, type Emit } from "../../core/commit";
import type { ConversationView, DirectoryEntry, DirectoryQuery, GroupView } from "./model";
import { readStateOf } from "./read-state";
import { isUniqueViolation } from "../../db/dialect";
import * as repo from "./repository";
import { existingUserIds } from "../users/repository";
import { defineRead, type ReadContext } from "../../lib/read-pool";

/** Group members as the original's docs wrote them: a list of ids, or that list as a string ("[1, 2]" or "1,2"). */
function parseMemberIds(members: unknown): number[] {
  if (members === undefined || members === null || members === "") return [];
  let list: unknown = members;
  if (typeof members === "string") {
    const text = members.trim();
    try {
      list = text.startsWith("[")
        ? JSON.parse(text)
        : text
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
            .map(Number);
    } catch {
      invalidField("members", "Give members as a list of user ids, e.g. [1, 2].");
    }
  }
  const values = Array.isArray(list) ? list : [list];
  const ids = values.map((v) => (typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v));
  if (!ids.every((id): id is number => Number.isSafeInteger(id) && (id as number) > 0))
    invalidField("members", "Give members as a list of user ids, e.g. [1, 2].");
  return [...new Set(ids as number[])];
}

export async function groupViews(connection: Connection, groups: ConversationRow[]): Promise<GroupView[]> {
  const members = await repo.listMembers(
    connection,
    groups.map((g) => g.id),
  );
  return groups.map((g) => {
    const own = members.filter((m) => m.conversation_id === g.id);
    return {
      id: g.id,
      name: g.name!,
      members: own.map((m) => m.user_id),
      created_by: g.created_by,
      created_at: new Date(g.created_at).toISOString(),
      private: !!g.private,
      retention_days: g.retention_days,
      roles: own.map((m) => ({ user_id: m.user_id, role: m.role })),
    };
  });
}

/** A group name as given, trimmed; blank or over 100 characters is a 400 naming the field. */
export function validGroupName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) invalidField("name", "This field may not be blank.");
  if (trimmed.length > 100) invalidField("name", "Ensure this field has no more than 100 characters.");
  return trimmed;
}

/** Group names are unique in any case: a unique-index race ends as the same 400 as the check before it. */
export function nameTaken(error: unknown): never {
  if (isUniqueViolation(error, "conversations", ["name_key"])) invalidField("name", "Group name already exists.");
  throw error;
}

export async function createGroup(ctx: AppContext, user: AuthUser, name: string, memberInput: unknown, isPrivate = false): Promise<GroupView> {
  const trimmed = validGroupName(name);
  const memberIds = parseMemberIds(memberInput).filter((id) => id !== user.id);
  const group = await commitWithEvents(ctx, async (tx, emit) => {
    if (await repo.findGroupByName(tx.db, trimmed)) invalidField("name", "Group name already exists.");
    const known = await existingUserIds(tx.db, memberIds);
    const unknown = memberIds.filter((id) => !known.has(id));
    if (unknown.length) invalidField("members", `Unknown user id: ${unknown.join(", ")}.`);
    const now = Date.now();
    const row = await repo.insertConversation(tx.db, {
      kind: "group",
      name: trimmed,
      name_key: repo.groupNameKey(trimmed),
      direct_key: null,
      created_by: user.id,
      created_at: now,
      private: isPrivate ? 1 : 0,
    });
    await addAndAnnounce(tx.db, emit, row, [user.id], "owner", now);
    await addAndAnnounce(tx.db, emit, row, memberIds, "member", now);
    return row;
  }).catch(nameTaken);
  return (await groupViews(ctx.reader, [group]))[0]!;
}

/** Every group, newest first, for finding one to join (groups are open to join, as in the original). */
export function groupDirectory(ctx: AppContext, user: AuthUser, query: DirectoryQuery): Promise<DirectoryEntry[]> {
  return ctx.reads.run(directoryPage, user.id, { q: query.q?.trim(), before: query.before, limit: query.limit ?? 50 });
}

/** Member counts walk each group's members, and a name prefix may scan the groups: off the event loop. */
const directoryPage = defineRead("conversations.directory", async (ctx, userId: number, window: { q?: string; before?: number; limit: number }) => {
  const rows = await repo.listGroupDirectory(ctx.reader, userId, window);
  return rows.map((g) => ({
    id: g.id,
    name: g.name!,
    member_count: Number(g.member_count),
    is_member: Boolean(g.is_member),
    created_at: new Date(g.created_at).toISOString(),
  }));
});

export async function listMyGroups(ctx: AppContext, user: AuthUser): Promise<GroupView[]> {
  const rows = await repo.listUserConversations(ctx.reader, user.id, { kind: "group" });
  return groupViews(
    ctx.reader,
    rows.sort((a, b) => a.id - b.id),
  );
}

export async function requireGroup(db: Db, groupId: number): Promise<ConversationRow> {
  const group = await repo.findConversation(db, groupId);
  if (group?.kind !== "group") notFound("Group not found.");
  return group;
}

/** Joins an open group; joining again changes nothing. A private group is joined only by being added. */
export async function joinGroup(ctx: AppContext, user: AuthUser, groupId: number): Promise<void> {
  await commitWithEvents(ctx, async (tx, emit) => {
    const group = await requireGroup(tx.db, groupId);
    if (await repo.findMembership(tx.db, group.id, user.id)) return;
    if (group.private) forbidden("This group is private: ask one of its owners or admins to add you.");
    await addAndAnnounce(tx.db, emit, group, [user.id], await newcomerRole(tx.db, group.id));
  });
}

/** Whoever enters a group that has no members (its last member left) becomes its owner, so someone can administer it. */
export async function newcomerRole(trx: Db, groupId: number): Promise<MemberRow["role"]> {
  return (await repo.countMembers(trx, groupId)) === 0 ? "owner" : "member";
}

/** Leaves a group (a no-op for non-members). The last owner must hand over first, unless nobody else is left. */
export async function leaveGroup(ctx: AppContext, user: AuthUser, groupId: number): Promise<void> {
  await commitWithEvents(ctx, async (tx, emit) => {
    const group = await requireGroup(tx.db, groupId);
    const membership = await repo.findMembership(tx.db, group.id, user.id);
    if (!membership) return;
    await keepAnOwner(tx.db, group.id, membership, "leave");
    await repo.removeMember(tx.db, group.id, user.id);
    await emit({ type: "member.left", conversation_id: group.id, user_id: user.id, data: { user_id: user.id, username: user.username } });
  });
}

const LAST_OWNER = {
  leave: "You are the group's last owner: make another member owner before leaving.",
  remove: "This is the group's last owner: make another member owner first.",
  demote: "This is the group's last owner: make another member owner first.",
};

/**
 * A group with members always has an owner: refuses (409) a leave, removal or demotion of its last owner.
 * The last member of all may go; the group then stays, empty, for whoever enters it next.
 */
export async function keepAnOwner(trx: Db, groupId: number, target: Pick<MemberRow, "role">, change: keyof typeof LAST_OWNER): Promise<void> {
  if (target.role !== "owner" || (await repo.countOwners(trx, groupId)) > 1) return;
  if (change !== "demote" && (await repo.countMembers(trx, groupId)) === 1) return;
  throw new AppError(409, "conflict", LAST_OWNER[change]);
}

/** The direct conversation between the caller and `otherId` (possibly themself), created on first use. */
export async function openDirect(
  ctx: AppContext,
  user: Pick<AuthUser, "id">,
  otherId: number,
  field = "user_id",
): Promise<{ conversation: ConversationRow; created: boolean }> {
  const existing = await repo.findDirect(ctx.reader, user.id, otherId);
  if (existing) return { conversation: existing, created: false };
  return commitWithEvents(ctx, async (tx, emit) => {
    const raced = await repo.findDirect(tx.db, user.id, otherId);
    if (raced) return { conversation: raced, created: false };
    if (!(await existingUserIds(tx.db, [otherId])).has(otherId)) invalidField(field, "Unknown user.");
    const now = Date.now();
    const conversation = await repo.insertConversation(tx.db, {
      kind: "direct",
      name: null,
      name_key: null,
      direct_key: repo.directKey(user.id, otherId),
      created_by: user.id,
      created_at: now,
      private: 0,
    });
    await addAndAnnounce(tx.db, emit, conversation, [...new Set([user.id, otherId])], "member", now);
    return { conversation, created: true };
  });
}

/**
 * Adds members and logs a member.joined for each one actually added (their live sockets subscribe on publish);
 * returns the ids added. `extra` goes into each event's data (who added them).
 */
export async function addAndAnnounce(
  trx: Db,
  emit: Emit,
  conversation: ConversationRow,
  userIds: number[],
  role: MemberRow["role"],
  now = Date.now(),
  extra: Record<string, unknown> = {},
) {
  const added = await repo.addMembers(trx, conversation.id, userIds, role, now);
  for (const userId of added) {
    await emit({
      type: "member.joined",
      conversation_id: conversation.id,
      user_id: userId,
      data: { user_id: userId, role, kind: conversation.kind, name: conversation.name, ...extra },
    });
  }
  return added;
}

/** The caller's conversations, direct and group, most recently active first, as JSON text (kept: see list-cache.ts). */
export function listConversationsJson(ctx: AppContext, user: AuthUser): Promise<string> {
  return ctx.conversationLists.load(user.id, () => ctx.reads.run(conversationList, user.id));
}

/** A member of hundreds of conversations costs milliseconds (their counts and last messages): off the event loop. */
const conversationList = defineRead("conversations.list", async (ctx, userId: number) => {
  const views = await conversationViews(ctx, { id: userId }, await repo.listUserConversations(ctx.reader, userId));
  return { conversationIds: views.map((v) => v.id), json: JSON.stringify(views) };
});

async function conversationViews(
  ctx: ReadContext,
  user: Pick<AuthUser, "id">,
  rows: Awaited<ReturnType<typeof repo.listUserConversations>>,
): Promise<ConversationView[]> {
  const [members, lastMessages] = await Promise.all([
    repo.listMembers(
      ctx.reader,
      rows.map((r) => r.id),
    ),
    findMessagesByIds(
      ctx.reader,
      rows.map((r) => r.last_message_id as number | null).filter((id): id is number => typeof id === "number"),
    ),
  ]);
  const lastById = new Map(lastMessages.map((m) => [m.id, m]));
  const membersOf = Map.groupBy(members, (m) => m.conversation_id);
  const now = Date.now();
  const views = rows.map((row) => {
    const all = membersOf.get(row.id) ?? [];
    const shown = row.kind === "group" ? all : all.filter((m) => m.user_id !== user.id).concat(all.length === 1 ? all : []);
    const last = row.last_message_id ? lastById.get(row.last_message_id as number) : undefined;
    const { conversation_id: _, ...readState } = readStateOf(row);
    return {
      activity: last?.created_at ?? row.created_at,
      view: {
        id: row.id,
        kind: row.kind,
        name: row.kind === "group" ? row.name! : (shown[0]?.username ?? ""),
        members: shown.map((m) => ({
          id: m.user_id,
          username: m.username,
          first_name: m.first_name,
          last_name: m.last_name,
          is_bot: !!m.is_bot,
          role: m.role,
          last_read_message_id: m.last_read_message_id,
        })),
        last_message: last ? toMessageView(last, row, ctx.fileUrls, now, user.id) : null,
        created_at: new Date(row.created_at).toISOString(),
        ...readState,
      } satisfies ConversationView,
    };
  });
  return views.sort((a, b) => b.activity - a.activity || b.view.id - a.view.id).map((v) => v.view);
}

export async function directConversation(ctx: AppContext, user: AuthUser, otherId: number): Promise<{ view: ConversationView; created: boolean }> {
  const { conversation, created } = await openDirect(ctx, user, otherId);
  const [view] = await conversationViews(ctx, user, await repo.listUserConversations(ctx.reader, user.id, { conversationId: conversation.id }));
  return { view: view!, created };
}
