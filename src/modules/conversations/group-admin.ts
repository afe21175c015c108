// Group administration: rename, open or private, add and remove members, change roles. The rules are in
// roles.ts; each operation checks them inside its transaction and announces what changed through the event log.
import type { AppContext } from "../../context";
import type { Db } from "../../db";
import type { ConversationRow, MemberRow } from "../../db/schema";
import { forbidden, invalidField, notFound } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { commitWithEvents } from "../../core/commit";
import type { GroupView } from "./model";
import * as repo from "./repository";
import { existingUserIds, usernameOf } from "../users/repository";
import { mayChangeRole, mayManage, mayRemove, type Actor, type Role } from "./roles";
import { addAndAnnounce, groupViews, keepAnOwner, nameTaken, newcomerRole, requireGroup, validGroupName } from "./service";

/** The group and the caller's standing in it: unknown group → 404; neither a member nor staff → 403. */
async function standingIn(trx: Db, user: AuthUser, groupId: number): Promise<{ group: ConversationRow; actor: Actor }> {
  const group = await requireGroup(trx, groupId);
  const role = (await repo.findMembership(trx, group.id, user.id))?.role ?? null;
  if (role === null && !user.is_staff) forbidden("You are not a member of this group.");
  return { group, actor: { userId: user.id, role, staff: user.is_staff } };
}

/** The member an operation is about: others' memberships only for those who administer the group; not a member → 404. */
async function targetMember(trx: Db, group: ConversationRow, actor: Actor, userId: number): Promise<MemberRow> {
  if (userId !== actor.userId && !mayManage(actor)) forbidden("Only the group's owners and admins may change other members.");
  const membership = await repo.findMembership(trx, group.id, userId);
  if (!membership) notFound("This user is not a member of the group.");
  return membership;
}

async function groupView(ctx: AppContext, groupId: number): Promise<GroupView> {
  const group = await repo.findConversation(ctx.reader, groupId);
  return (await groupViews(ctx.reader, [group!]))[0]!;
}

export interface GroupChanges {
  name?: string;
  private?: boolean;
  /** Days after which the group's messages are deleted; null follows the server's setting. */
  retention_days?: number | null;
}

/** Renames the group, makes it private or open, sets its retention: owners, admins and staff. Announced as conversation.updated. */
export async function updateGroup(ctx: AppContext, user: AuthUser, groupId: number, changes: GroupChanges): Promise<GroupView> {
  const name = changes.name === undefined ? undefined : validGroupName(changes.name);
  await commitWithEvents(ctx, async (tx, emit) => {
    const { group, actor } = await standingIn(tx.db, user, groupId);
    if (!mayManage(actor)) forbidden("Only the group's owners and admins may change it.");
    const update: Parameters<typeof repo.updateGroup>[2] = {};
    if (name !== undefined && name !== group.name) {
      const taken = await repo.findGroupByName(tx.db, name);
      if (taken && taken.id !== group.id) invalidField("name", "Group name already exists.");
      Object.assign(update, { name, name_key: repo.groupNameKey(name) });
    }
    if (changes.private !== undefined && changes.private !== !!group.private) update.private = changes.private ? 1 : 0;
    if (changes.retention_days !== undefined && changes.retention_days !== group.retention_days) update.retention_days = changes.retention_days;
    if (Object.keys(update).length === 0) return;
    const row = await repo.updateGroup(tx.db, group.id, update);
    await emit({
      type: "conversation.updated",
      conversation_id: group.id,
      data: { id: row.id, name: row.name, private: !!row.private, retention_days: row.retention_days, updated_by: user.id },
    });
  }).catch(nameTaken);
  return groupView(ctx, groupId);
}

/**
 * Adds a user to the group as a member (private groups are joined only this way): owners, admins and staff.
 * Adding a member again changes nothing (`added` false). Announced as member.joined; their sockets subscribe at once.
 */
export async function addMember(ctx: AppContext, user: AuthUser, groupId: number, userId: number): Promise<{ view: GroupView; added: boolean }> {
  const added = await commitWithEvents(ctx, async (tx, emit) => {
    const { group, actor } = await standingIn(tx.db, user, groupId);
    if (!mayManage(actor)) forbidden("Only the group's owners and admins may add members.");
    if (!Number.isSafeInteger(userId)) invalidField("user_id", "Give a user id.");
    if (!(await existingUserIds(tx.db, [userId])).has(userId)) invalidField("user_id", "Unknown user.");
    const ids = await addAndAnnounce(tx.db, emit, group, [userId], await newcomerRole(tx.db, group.id), Date.now(), { added_by: user.id });
    return ids.length > 0;
  });
  return { view: await groupView(ctx, groupId), added };
}

/** Changes a member's role (see roles.ts for who may). Announced as member.updated; the last owner is never demoted. */
export async function changeRole(ctx: AppContext, user: AuthUser, groupId: number, userId: number, role: Role): Promise<GroupView> {
  await commitWithEvents(ctx, async (tx, emit) => {
    const { group, actor } = await standingIn(tx.db, user, groupId);
    const target = await targetMember(tx.db, group, actor, userId);
    if (!mayChangeRole(actor, { userId, role: target.role }, role)) forbidden(roleRefusal(actor, target, role));
    if (target.role === role) return;
    if (role !== "owner") await keepAnOwner(tx.db, group.id, target, "demote");
    await repo.setRole(tx.db, group.id, userId, role);
    await emit({
      type: "member.updated",
      conversation_id: group.id,
      user_id: userId,
      data: { user_id: userId, role, previous_role: target.role, updated_by: user.id },
    });
  });
  return groupView(ctx, groupId);
}

function roleRefusal(actor: Actor, target: MemberRow, role: Role): string {
  if (actor.userId === target.user_id) return "You cannot raise your own role.";
  if (target.role === "owner") return "Only staff may change another owner's role.";
  if (target.role === "admin" && actor.role === "admin") return "Only owners may change an admin's role.";
  return `Only owners may make someone ${role}.`;
}

/**
 * Removes a member: admins remove plain members, owners also admins, staff anyone; removing yourself is leaving.
 * Announced as member.left, also on the removed user's own topic; their sockets stop hearing the group at once.
 */
export async function removeMember(ctx: AppContext, user: AuthUser, groupId: number, userId: number): Promise<GroupView> {
  await commitWithEvents(ctx, async (tx, emit) => {
    const { group, actor } = await standingIn(tx.db, user, groupId);
    const target = await targetMember(tx.db, group, actor, userId);
    if (!mayRemove(actor, { userId, role: target.role })) {
      forbidden(target.role === "owner" ? "Only staff may remove another owner." : "Only owners may remove an admin.");
    }
    await keepAnOwner(tx.db, group.id, target, userId === user.id ? "leave" : "remove");
    const username = await usernameOf(tx.db, userId);
    await repo.removeMember(tx.db, group.id, userId);
    const data = userId === user.id ? { user_id: userId, username } : { user_id: userId, username, removed_by: user.id };
    await emit({ type: "member.left", conversation_id: group.id, user_id: userId, data });
  });
  return groupView(ctx, groupId);
}
