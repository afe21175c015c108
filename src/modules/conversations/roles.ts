// Who may administer a group, as one rule: you act only on members ranked below you, grant at most your own
// rank, and may always lower yourself (or leave). Staff rank above every owner. Pure functions, no database.
import type { MemberRow } from "../../db/schema";

export type Role = MemberRow["role"];
export const ROLES: readonly Role[] = ["owner", "admin", "member"];

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };
const STAFF_RANK = 4;

/** The caller's standing in a group: their role there (null when not a member) and whether they are staff. */
export interface Actor {
  userId: number;
  role: Role | null;
  staff: boolean;
}

export interface Target {
  userId: number;
  role: Role;
}

const rankOf = (actor: Actor) => (actor.staff ? STAFF_RANK : actor.role ? RANK[actor.role] : 0);

/** Rename the group, make it private or open, add members: owners, admins and staff. */
export const mayManage = (actor: Actor) => rankOf(actor) >= RANK.admin;

/** Removing yourself is leaving, which every member may do; anyone else only by a higher rank. */
export const mayRemove = (actor: Actor, target: Target) => actor.userId === target.userId || rankOf(actor) > RANK[target.role];

/** Lowering yourself is always allowed; changing others needs a higher rank than theirs, and grants at most your own. */
export function mayChangeRole(actor: Actor, target: Target, role: Role): boolean {
  if (actor.staff) return true;
  if (actor.userId === target.userId) return RANK[role] <= RANK[target.role];
  return rankOf(actor) > RANK[target.role] && RANK[role] <= rankOf(actor);
}
