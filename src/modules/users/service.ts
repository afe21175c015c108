// Accounts: registration, profiles, and the rule that only the owner of an account (or staff) may change it.
import type { AppContext } from "../../context";
import type { UserRow } from "../../db/schema";
import { AppError, forbidden, invalidField, notFound, type FieldErrors } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import type { AuthUser } from "../auth/service";
import { USERNAME_PATTERN, USERNAME_RULE, type PublicUser, type RegisterBody, type UserChanges } from "./model";
import { eraseMessagesOf } from "../messages/service";
import { commitWithEvents } from "../../core/commit";
import { truncateWalSoon } from "../../db/wal";
import { isUniqueViolation } from "../../db/dialect";
import * as repo from "./repository";

/** The API's view of a user; the email only for the user themself and for staff. */
export function toPublicUser(user: UserRow, viewer: Pick<AuthUser, "id" | "is_staff">): PublicUser {
  const view: PublicUser = {
    id: user.id,
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    date_joined: new Date(user.date_joined).toISOString(),
    is_bot: !!user.is_bot,
  };
  if (viewer.id === user.id || viewer.is_staff) view.email = user.email;
  return view;
}

async function checkIdentifiers(ctx: AppContext, username: string | undefined, email: string | undefined, exceptId?: number) {
  if (username !== undefined && !USERNAME_PATTERN.test(username)) invalidField("username", USERNAME_RULE);
  const taken = await repo.takenIdentifiers(ctx.reader, username, email, exceptId);
  const fields: FieldErrors = {};
  if (taken.username) fields.username = ["A user with that username already exists."];
  if (taken.email) fields.email = ["user with this email already exists."];
  if (Object.keys(fields).length) throw new AppError(400, "invalid", "That username or email is taken.", fields);
}

/** Unique-index violations that slip past the check above under concurrency become the same 400. */
function mapUniqueViolation(error: unknown): never {
  if (isUniqueViolation(error, "users", ["username_key"]))
    throw new AppError(400, "invalid", "That username is taken.", { username: ["A user with that username already exists."] });
  if (isUniqueViolation(error, "users", ["email"]))
    throw new AppError(400, "invalid", "That email is taken.", { email: ["user with this email already exists."] });
  throw error;
}

/**
 * A new account; `staff` makes it staff and superuser (only `parley createsuperuser` asks for that). Over the API
 * it is limited per client address (`ip`): each costs a password hash, and "already taken" answers reveal accounts.
 */
export async function register(ctx: AppContext, input: RegisterBody, ip: string | null, { staff = false } = {}): Promise<UserRow> {
  if (ip !== null) {
    await enforce(ctx.limits.registerPerIp, ip, "Too many registrations from this address.");
    await enforce(ctx.limits.registerPerAccount, repo.normalizeEmail(input.email), "Too many registration attempts for this email address.");
  }
  await checkIdentifiers(ctx, input.username, input.email);
  const password_hash = await ctx.passwords.hash(input.password);
  return repo
    .insertUser(ctx.db, {
      username: input.username,
      email: input.email,
      first_name: input.first_name ?? "",
      last_name: input.last_name ?? "",
      password_hash,
      is_active: 1,
      is_staff: staff ? 1 : 0,
      is_superuser: staff ? 1 : 0,
      date_joined: Date.now(),
    })
    .catch(mapUniqueViolation);
}

/**
 * A bot account (see admin/bots.ts): no usable password ("!" matches no hash), an address that can never receive
 * mail (RFC 2606's .invalid), shown by `displayName`.
 */
export async function createBotAccount(ctx: AppContext, username: string, displayName: string, unique: string): Promise<UserRow> {
  const email = `bot-${unique}@bots.invalid`;
  await checkIdentifiers(ctx, username, email);
  return repo
    .insertUser(ctx.db, {
      username,
      email,
      first_name: displayName,
      last_name: "",
      password_hash: "!",
      is_active: 1,
      is_staff: 0,
      is_superuser: 0,
      is_bot: 1,
      date_joined: Date.now(),
    })
    .catch(mapUniqueViolation);
}

export async function getUser(ctx: AppContext, id: number): Promise<UserRow> {
  return (await repo.findUserById(ctx.reader, id)) ?? notFound();
}

/** Finds a user by username, so a client can start a conversation with someone it knows by name. */
export async function lookupUser(ctx: AppContext, username: string): Promise<UserRow> {
  return (await repo.findActiveUserByUsername(ctx.reader, username.trim())) ?? notFound("No user with that username.");
}

/** The account `id`, if `actor` may change it: only its owner and staff may. */
async function ownedAccount(ctx: AppContext, actor: AuthUser, id: number): Promise<UserRow> {
  const user = await getUser(ctx, id);
  if (actor.id !== user.id && !actor.is_staff) forbidden("You may only change your own account.");
  return user;
}

/**
 * Changing one's own password or email takes the current password, so that a stolen access token cannot take the
 * account over for good. Staff changing someone else's account are exempt. Guesses share the login's per-account limit.
 */
async function checkCurrentPassword(ctx: AppContext, actor: AuthUser, user: UserRow, changes: UserChanges): Promise<void> {
  const changesCredentials = changes.password !== undefined || (changes.email !== undefined && repo.normalizeEmail(changes.email) !== user.email);
  if (!changesCredentials || actor.id !== user.id) return;
  if (!changes.current_password) invalidField("current_password", "Enter your current password to change your password or email.");
  await enforce(ctx.limits.loginPerAccount, user.email, "Too many password attempts for this account.");
  if (!(await ctx.passwords.verify(changes.current_password, user.password_hash)))
    invalidField("current_password", "Your current password was entered incorrectly.");
}

export async function updateUser(ctx: AppContext, actor: AuthUser, id: number, changes: UserChanges): Promise<UserRow> {
  const user = await ownedAccount(ctx, actor, id);
  await checkCurrentPassword(ctx, actor, user, changes);
  await checkIdentifiers(ctx, changes.username, changes.email, user.id);
  const { password, current_password: _, ...profile } = changes;
  const password_hash = password === undefined ? undefined : await ctx.passwords.hash(password);
  const updated = await commitWithEvents(ctx, async (tx) => {
    const row = await repo.updateUserRow(tx.db, user.id, password_hash === undefined ? profile : { ...profile, password_hash });
    // A new password ends every session of the account, the caller's included.
    if (password !== undefined) await repo.bumpTokenGeneration(tx.db, user.id);
    return row;
  }).catch(mapUniqueViolation);
  if (password !== undefined) ctx.hub.disconnectUser(user.id, 1008, "Password changed");
  else ctx.callers.forget(user.id); // a new username; other nodes take theirs within caller-cache.ts's MAX_AGE_MS
  if (changes.username !== undefined || changes.first_name !== undefined || changes.last_name !== undefined) ctx.conversationLists.clear(); // names in lists, no event
  return updated ?? notFound();
}

/**
 * Memberships and the user's messages go with the account (as in the original); tokens die with the row. Their
 * messages are tombstoned first, in the same transaction, which takes their text out of the event log (members
 * hear `message.deleted` for each), and the files they uploaded go, rows and bytes, whatever PARLEY_FILE_TTL says.
 */
export async function deleteUser(ctx: AppContext, actor: AuthUser, id: number): Promise<void> {
  const user = await ownedAccount(ctx, actor, id);
  const removedFiles = await commitWithEvents(ctx, async (tx, emit) => {
    const files = await eraseMessagesOf(tx.db, emit, user.id);
    if (!(await repo.deleteUserRow(tx.db, user.id))) notFound();
    return files;
  });
  for (const storageName of removedFiles) await ctx.uploads.remove(storageName); // bytes go once no row points at them
  ctx.newestPages.clear(); // the tombstones went with the account, without events of their own
  ctx.memberships.clear(); // so did its memberships
  ctx.conversationLists.clear();
  ctx.searchIndexer.markForPurge();
  ctx.hub.disconnectUser(user.id, 1008, "Account deleted");
  truncateWalSoon(ctx);
}
