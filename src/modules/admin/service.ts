// Staff-only chores: find accounts, switch them off and on, remove any message, see the groups.
import type { AppContext } from "../../context";
import type { UserRow } from "../../db/schema";
import { badRequest, forbidden, notFound } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { deleteMessage } from "../messages/service";
import { groupNameKey } from "../conversations/repository";
import { normalizeEmail, usernameKey } from "../users/repository";
import * as repo from "./repository";
import type { AdminGroup, AdminUser, ListQuery } from "./model";
import { defineRead } from "../../lib/read-pool";

const DEFAULT_LIMIT = 50;

export function requireStaff(user: AuthUser) {
  if (!user.is_staff) forbidden("Staff only.");
}

export const toAdminUser = (user: UserRow): AdminUser => ({
  id: user.id,
  username: user.username,
  email: user.email,
  first_name: user.first_name,
  last_name: user.last_name,
  is_active: !!user.is_active,
  is_staff: !!user.is_staff,
  is_superuser: !!user.is_superuser,
  is_bot: !!user.is_bot,
  date_joined: new Date(user.date_joined).toISOString(),
});

/** Users, newest first, optionally those whose username or email starts with `q`; paged with `before=<id>`. */
export async function listUsers(ctx: AppContext, staff: AuthUser, query: ListQuery): Promise<AdminUser[]> {
  requireStaff(staff);
  const q = query.q?.trim();
  const keys = q ? { username: usernameKey(q), email: normalizeEmail(q) } : null;
  return ctx.reads.run(userListing, { before: query.before, limit: query.limit ?? DEFAULT_LIMIT }, keys);
}

/** A prefix of a name or an email is matched on both columns: a scan of the users when few match, off the event loop. */
const userListing = defineRead("admin.users", async (ctx, window: { before?: number; limit: number }, keys: { username: string; email: string } | null) =>
  (await repo.listUsers(ctx.reader, window, keys)).map(toAdminUser),
);

/**
 * Deactivating ends every token of the account and closes its sockets at once; it can no longer log in.
 * Reactivating lets it log in again (old tokens stay dead).
 */
export async function setActive(ctx: AppContext, staff: AuthUser, userId: number, active: boolean): Promise<AdminUser> {
  requireStaff(staff);
  if (!active && userId === staff.id) badRequest("You cannot deactivate your own account.");
  const user = await repo.setActive(ctx.db, userId, active);
  if (!user) notFound("User not found.");
  if (!active) ctx.hub.disconnectUser(userId, 1008, "Account deactivated");
  return toAdminUser(user);
}

export async function deleteAnyMessage(ctx: AppContext, staff: AuthUser, messageId: number): Promise<void> {
  requireStaff(staff);
  await deleteMessage(ctx, messageId, () => true);
}

/** Groups, newest first, with how many members each has; `q` matches the start of the name. */
export async function listGroups(ctx: AppContext, staff: AuthUser, query: ListQuery): Promise<AdminGroup[]> {
  requireStaff(staff);
  return ctx.reads.run(groupListing, { before: query.before, limit: query.limit ?? DEFAULT_LIMIT }, groupNameKey(query.q ?? ""));
}

/** Member counts walk each group's members, and a name prefix may scan the groups: off the event loop. */
const groupListing = defineRead("admin.groups", async (ctx, window: { before?: number; limit: number }, nameKey: string) =>
  (await repo.listGroups(ctx.reader, window, nameKey)).map((g) => ({
    id: g.id,
    name: g.name!,
    member_count: Number(g.member_count),
    created_by: g.created_by,
    created_at: new Date(g.created_at).toISOString(),
  })),
);
