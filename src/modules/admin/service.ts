// Staff-only chores: find accounts, switch them off and on, remove any message, see the groups.
import { sql } from "kysely";
import type { AppContext } from "../../context";
import type { UserRow } from "../../db/schema";
import { badRequest, forbidden, notFound } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { deleteMessage } from "../messages/service";
import { normalizeEmail, usernameKey } from "../users/repository";
import type { AdminGroup, AdminUser, ListQuery } from "./model";

const DEFAULT_LIMIT = 50;

/** `column` starts with `text`, taken literally (LIKE with its wildcards escaped). */
const startsWith = (column: string, text: string) => sql<boolean>`${sql.ref(column)} LIKE ${text.replace(/[\\%_]/g, (c) => `\\${c}`) + "%"} ESCAPE '\\'`;

export function requireStaff(user: AuthUser) {
  if (!user.is_staff) forbidden("Staff only.");
}

const toAdminUser = (user: UserRow): AdminUser => ({
  id: user.id,
  username: user.username,
  email: user.email,
  first_name: user.first_name,
  last_name: user.last_name,
  is_active: !!user.is_active,
  is_staff: !!user.is_staff,
  is_superuser: !!user.is_superuser,
  date_joined: new Date(user.date_joined).toISOString(),
});

/** Users, newest first, optionally those whose username or email starts with `q`; paged with `before=<id>`. */
export async function listUsers(ctx: AppContext, staff: AuthUser, query: ListQuery): Promise<AdminUser[]> {
  requireStaff(staff);
  let select = ctx.db.selectFrom("users").selectAll().orderBy("id", "desc").limit(query.limit ?? DEFAULT_LIMIT);
  if (query.before !== undefined) select = select.where("id", "<", query.before);
  const q = query.q?.trim();
  if (q) {
    select = select.where((eb) => eb.or([startsWith("username_key", usernameKey(q)), startsWith("email", normalizeEmail(q))]));
  }
  return (await select.execute()).map(toAdminUser);
}

/**
 * Deactivating ends every token of the account and closes its sockets at once; it can no longer log in.
 * Reactivating lets it log in again (old tokens stay dead).
 */
export async function setActive(ctx: AppContext, staff: AuthUser, userId: number, active: boolean): Promise<AdminUser> {
  requireStaff(staff);
  if (!active && userId === staff.id) badRequest("You cannot deactivate your own account.");
  const user = await ctx.db
    .updateTable("users")
    .set((eb) => (active ? { is_active: 1 } : { is_active: 0, token_generation: eb("token_generation", "+", 1) }))
    .where("id", "=", userId)
    .returningAll()
    .executeTakeFirst();
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
  let select = ctx.db
    .selectFrom("conversations as c")
    .select(["c.id", "c.name", "c.created_by", "c.created_at"])
    .select((eb) => eb.selectFrom("conversation_members as m").select((e) => e.fn.countAll<number>().as("n")).whereRef("m.conversation_id", "=", "c.id").as("member_count"))
    .where("c.kind", "=", "group")
    .orderBy("c.id", "desc")
    .limit(query.limit ?? DEFAULT_LIMIT);
  if (query.before !== undefined) select = select.where("c.id", "<", query.before);
  const q = query.q?.trim();
  if (q) select = select.where(startsWith("c.name_key", q.normalize("NFKC").toLowerCase()));
  return (await select.execute()).map((g) => ({
    id: g.id,
    name: g.name!,
    member_count: Number(g.member_count),
    created_by: g.created_by,
    created_at: new Date(g.created_at).toISOString(),
  }));
}
