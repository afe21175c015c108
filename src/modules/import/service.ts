// Moving from the original Django server: its users (with their password hashes), groups, messages and files
// into an empty Parley. First a plan from the original (read-only) and the media dir, then the files are copied,
// then everything is written in one transaction: a failure leaves Parley's database (and uploads) as they were.
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { resolve, sep } from "node:path";
import type { AppContext } from "../../context";
import type { ConversationRow, MemberRow, NewUser } from "../../db/schema";
import { raiseSequence } from "../../db/sequences";
import { MAX_PBKDF2_ITERATIONS, parseDjangoPbkdf2 } from "../auth/passwords";
import { directKey, groupNameKey } from "../conversations/repository";
import type { StoredUpload } from "../files/storage";
import { toMessageView } from "../messages/view";
import { appendUnpublished } from "../../core/events";
import { normalizeEmail, usernameKey } from "../users/repository";
import { DjangoSource, parseDjangoTime, type DjangoMessage, type DjangoUser } from "./django";
import * as repo from "./repository";
import { ImportError, type ImportReport, type SkipReason, type UserRef } from "./report";
import { POSTGRES, requireEmpty, requireEmptyReadOnly } from "./target";
import type { JobTx } from "../../core/commit";

export interface ImportOptions {
  /** The original's db.sqlite3 (opened read-only). */
  db: string;
  /** The original's MEDIA_ROOT: message files are at the relative path in chat_message.file. */
  media: string;
}

type UserInsert = NewUser & { id: number };

interface PlannedConversation {
  row: ConversationRow;
  members: Array<{ user_id: number; role: MemberRow["role"] }>;
  /** Every member's read marker: the original had no read state, so its history arrives read. */
  lastMessageId: number | null;
}

interface PlannedFile {
  /** As the original stored it, relative to the media dir. */
  relative: string;
  path: string;
  size: number;
  expiresAt: number | null;
}

type Route =
  | { skip: SkipReason }
  | { kind: "direct"; key: string; users: [number, number]; at: number; truncated: boolean }
  | { kind: "group"; group: number; at: number; truncated: boolean };

interface Plan {
  report: ImportReport;
  users: UserInsert[];
  usernames: Map<number, string>;
  groups: Map<number, PlannedConversation>;
  directs: Map<string, PlannedConversation>;
  files: Map<number, PlannedFile>;
}

/** Where a message of the original goes: the direct conversation of its two users, its group, or nowhere (why). */
function routeOf(m: DjangoMessage, userIds: Set<number>, groupIds: Set<number>): Route {
  const toUser = m.receiver_user_id;
  const toGroup = m.receiver_group_id;
  if (toUser === null && toGroup === null) return { skip: "no_receiver" };
  if (toUser !== null && toGroup !== null) return { skip: "both_receivers" };
  if (!userIds.has(m.sender_id)) return { skip: "unknown_sender" };
  if (toUser !== null ? !userIds.has(toUser) : !groupIds.has(toGroup!)) return { skip: "unknown_receiver" };
  const time = parseDjangoTime(m.timestamp);
  if (!time) return { skip: "bad_timestamp" };
  if (toUser !== null) return { kind: "direct", key: directKey(m.sender_id, toUser), users: [m.sender_id, toUser], at: time.ms, truncated: time.truncated };
  return { kind: "group", group: toGroup!, at: time.ms, truncated: time.truncated };
}

const NEW_CONVERSATION = { name: null, name_key: null, direct_key: null, retention_days: null, private: 0, live_messages: 0 } as const; // live_messages: counted by the triggers as the messages go in

const maxOf = (ids: Iterable<number>, atLeast: number) => {
  let max = atLeast;
  for (const id of ids) if (id > max) max = id;
  return max;
};

function passwordProblem(hash: string): string | null {
  if (hash.startsWith("pbkdf2_sha256$")) return parseDjangoPbkdf2(hash) ? null : `malformed pbkdf2_sha256 hash (or over ${MAX_PBKDF2_ITERATIONS} iterations)`;
  if (hash === "") return "no password set";
  if (hash.startsWith("!")) return "no usable password in the original";
  const algorithm = hash.includes("$") ? hash.slice(0, hash.indexOf("$")) : "unknown";
  return `Django's "${algorithm}" hasher is not supported`;
}

function planUsers(source: DjangoSource, report: ImportReport): { users: UserInsert[]; usernames: Map<number, string> } {
  const users: UserInsert[] = [];
  const usernames = new Map<number, string>();
  const byName = new Map<string, DjangoUser>();
  const byEmail = new Map<string, DjangoUser>();
  const conflicts: string[] = [];
  for (const u of source.users()) {
    const joined = parseDjangoTime(u.date_joined);
    if (!joined) throw new ImportError("conflict", `user ${u.id} (${u.username}) has an unreadable date_joined "${u.date_joined}"`);
    const nameKey = usernameKey(u.username);
    const email = normalizeEmail(u.email);
    const sameName = byName.get(nameKey);
    const sameEmail = byEmail.get(email);
    if (sameName) conflicts.push(`users ${sameName.id} and ${u.id} have usernames that differ only in case ("${sameName.username}", "${u.username}")`);
    if (sameEmail && email) conflicts.push(`users ${sameEmail.id} and ${u.id} have emails that differ only in case ("${sameEmail.email}", "${u.email}")`);
    byName.set(nameKey, u);
    byEmail.set(email, u);
    users.push({
      id: u.id,
      username: u.username,
      username_key: nameKey,
      email,
      first_name: u.first_name,
      last_name: u.last_name,
      password_hash: u.password,
      is_active: u.is_active ? 1 : 0,
      is_staff: u.is_staff ? 1 : 0,
      is_superuser: u.is_superuser ? 1 : 0,
      date_joined: joined.ms,
    });
    usernames.set(u.id, u.username);
    report.users.imported++;
    if (!u.is_active) report.users.inactive++;
    if (u.is_staff) report.users.staff++;
    if (u.is_superuser) report.users.superusers++;
    const problem = passwordProblem(u.password);
    if (problem) report.users.mustReset.push({ id: u.id, username: u.username, reason: problem });
    else {
      const iterations = u.password.split("$")[1]!;
      report.users.pbkdf2[iterations] = (report.users.pbkdf2[iterations] ?? 0) + 1;
    }
  }
  if (conflicts.length) {
    throw new ImportError(
      "conflict",
      `Parley treats usernames and emails case-insensitively: ${conflicts.join("; ")}. Change one of each pair in the original and run again`,
    );
  }
  return { users, usernames };
}

/** The file of message `m`, if it has one: found under the media dir (`mediaRoot`, its real path), or reported missing. */
function planFile(m: DjangoMessage, mediaRoot: string, report: ImportReport, now: number): PlannedFile | null {
  if (!m.file) return null;
  report.files.found++;
  const path = resolve(mediaRoot, m.file);
  const missing = (reason: string) => {
    report.files.missing.push({ message: m.id, path: m.file!, reason });
    return null;
  };
  if (!path.startsWith(mediaRoot + sep)) return missing("outside the media directory");
  let real: string;
  let size: number;
  try {
    real = realpathSync(path);
    const stat = statSync(real);
    if (!stat.isFile()) return missing("not a regular file");
    size = stat.size;
  } catch {
    return missing("not found");
  }
  // A link, or a linked directory on the way, may lead anywhere (/etc/passwd): where it leads must be inside too.
  if (!real.startsWith(mediaRoot + sep)) return missing("a link to outside the media directory, skipped");
  try {
    accessSync(real, constants.R_OK);
  } catch {
    return missing("not readable");
  }
  const expiry = parseDjangoTime(m.file_expiry);
  if (!expiry) report.files.unreadableExpiry.push(m.id);
  if (expiry && expiry.ms <= now) report.files.expired++;
  report.files.copied++;
  report.files.bytes += size;
  return { relative: m.file, path: real, size, expiresAt: expiry?.ms ?? null };
}

/** Everything the import will write, decided from the original alone (a dry run prints this and stops). */
function planImport(source: DjangoSource, options: ImportOptions, target: string, dryRun: boolean, now: number): Plan {
  const mediaRoot = resolve(options.media);
  const realMediaRoot = realpathSync(mediaRoot); // files are checked against where links lead, so the root too
  const report: ImportReport = {
    dryRun,
    source: { db: resolve(options.db), media: mediaRoot },
    target,
    users: { imported: 0, inactive: 0, staff: 0, superusers: 0, pbkdf2: {}, mustReset: [] },
    groups: { imported: 0, owners: [], renamed: [], skippedMembers: [], postsByNonMembers: 0 },
    directs: [],
    messages: { found: 0, imported: 0, direct: 0, group: 0, skipped: {}, truncatedTimestamps: 0 },
    files: { found: 0, copied: 0, bytes: 0, expired: 0, unreadableExpiry: [], missing: [] },
    events: 0,
    nextIdsAbove: { user: 0, conversation: 0, message: 0 },
  };
  const { users, usernames } = planUsers(source, report);
  const userIds = new Set(usernames.keys());
  const djangoGroups = source.groups();
  const groupIds = new Set(djangoGroups.map((g) => g.id));
  // Per group, its members in membership order (a Set keeps insertion order).
  const members = new Map<number, Set<number>>(djangoGroups.map((g) => [g.id, new Set()]));
  for (const m of source.memberships()) {
    const set = members.get(m.group_id);
    if (!set) continue; // a membership of a group that no longer exists
    if (!userIds.has(m.user_id)) report.groups.skippedMembers.push({ group: m.group_id, user: m.user_id });
    else set.add(m.user_id);
  }

  // Direct conversations are new: their ids come after every id the original gave a group.
  let nextConversationId = maxOf(groupIds, source.sequence("chat_group")) + 1;
  const directs = new Map<string, PlannedConversation>();
  const directCounts = new Map<string, number>();
  const firstGroupMessage = new Map<number, number>();
  const lastGroupMessage = new Map<number, number>();
  const files = new Map<number, PlannedFile>();
  let maxMessageId = 0;
  for (const m of source.messages()) {
    report.messages.found++;
    maxMessageId = Math.max(maxMessageId, m.id);
    const route = routeOf(m, userIds, groupIds);
    if ("skip" in route) {
      (report.messages.skipped[route.skip] ??= []).push(m.id);
      continue;
    }
    report.messages.imported++;
    if (route.truncated) report.messages.truncatedTimestamps++;
    if (route.kind === "direct") {
      report.messages.direct++;
      if (!directs.has(route.key)) {
        const [a, b] = route.users[0] <= route.users[1] ? route.users : [route.users[1], route.users[0]];
        const row: ConversationRow = {
          ...NEW_CONVERSATION,
          id: nextConversationId++,
          kind: "direct",
          direct_key: route.key,
          created_by: m.sender_id,
          created_at: route.at,
        };
        directs.set(route.key, { row, members: [...new Set([a, b])].map((user_id) => ({ user_id, role: "member" as const })), lastMessageId: null });
      }
      directs.get(route.key)!.lastMessageId = m.id;
      directCounts.set(route.key, (directCounts.get(route.key) ?? 0) + 1);
    } else {
      report.messages.group++;
      if (!firstGroupMessage.has(route.group)) firstGroupMessage.set(route.group, route.at);
      lastGroupMessage.set(route.group, m.id);
      if (!members.get(route.group)!.has(m.sender_id)) report.groups.postsByNonMembers++;
    }
    const file = planFile(m, realMediaRoot, report, now);
    if (file) files.set(m.id, file);
  }

  const groups = new Map<number, PlannedConversation>();
  const namesTaken = new Set<string>();
  for (const g of djangoGroups) {
    let name = g.name;
    for (let n = 2; namesTaken.has(groupNameKey(name)); n++) name = `${g.name} (${n})`;
    if (name !== g.name) report.groups.renamed.push({ id: g.id, from: g.name, to: name });
    namesTaken.add(groupNameKey(name));
    // The first member by membership order owns the group: in the original, that was its creator.
    const ids = [...members.get(g.id)!];
    const owner = ids[0] ?? null;
    // Open, as every group of the original was (anyone could join).
    const row: ConversationRow = {
      ...NEW_CONVERSATION,
      id: g.id,
      kind: "group",
      name,
      name_key: groupNameKey(name),
      created_by: owner,
      created_at: firstGroupMessage.get(g.id) ?? now,
    };
    groups.set(g.id, {
      row,
      members: ids.map((user_id) => ({ user_id, role: user_id === owner ? "owner" : "member" })),
      lastMessageId: lastGroupMessage.get(g.id) ?? null,
    });
    report.groups.imported++;
    report.groups.owners.push({ id: g.id, name, owner: owner === null ? null : { id: owner, username: usernames.get(owner)! }, members: ids.length });
  }

  const ref = (id: number): UserRef => ({ id, username: usernames.get(id)! });
  for (const [key, d] of directs) {
    const [a, b] = key.split(":").map(Number) as [number, number];
    report.directs.push({ id: d.row.id, users: [ref(a), ref(b)], messages: directCounts.get(key)! });
  }
  const memberships = [...groups.values(), ...directs.values()].reduce((n, c) => n + c.members.length, 0);
  report.events = memberships + report.messages.imported;
  report.nextIdsAbove = {
    user: maxOf(userIds, source.sequence("authentication_customuser")),
    conversation: nextConversationId - 1,
    message: Math.max(source.sequence("chat_message"), maxMessageId),
  };
  return { report, users, usernames, groups, directs, files };
}

function checkMedia(media: string) {
  let isDir = false;
  try {
    isDir = statSync(media).isDirectory();
  } catch {}
  if (!isDir) throw new ImportError("usage", `--media ${media}: no such directory`);
}

/** What an import into the configured database would do, without writing anything (not even creating the data dir). */
export async function previewDjangoImport(options: ImportOptions & { dataDir: string; databaseUrl: string | null }, now = Date.now()): Promise<ImportReport> {
  checkMedia(options.media);
  const source = DjangoSource.open(options.db);
  try {
    await requireEmptyReadOnly(options);
    return planImport(source, options, options.dataDir, true, now).report;
  } finally {
    source.close();
  }
}

/** Imports the original's data into this (empty) Parley; returns the report. */
export async function importDjango(ctx: AppContext, options: ImportOptions, now = Date.now()): Promise<ImportReport> {
  checkMedia(options.media);
  const source = DjangoSource.open(options.db);
  try {
    const target = ctx.config.databaseUrl ? POSTGRES : ctx.config.dataDir;
    await requireEmpty(ctx.db, target);
    const planned = planImport(source, options, ctx.config.dataDir, false, now);
    const stored = await copyFiles(ctx, planned);
    try {
      const lastSeq = await ctx.committer.bulk(async (tx) => {
        await requireEmpty(tx.db, target); // the final word, in the same transaction as the writes
        return insertImportedRows(ctx, tx, source, planned, stored, now);
      });
      ctx.hub.lastPublished = Math.max(ctx.hub.lastPublished, lastSeq);
    } catch (error) {
      for (const file of stored.values()) await ctx.uploads.remove(file.storage_name);
      throw error;
    }
    return planned.report;
  } finally {
    source.close();
  }
}

/** Copies each planned file into uploads (hashed, fsynced); one gone since planning is reported missing instead. */
async function copyFiles(ctx: AppContext, planned: Plan): Promise<Map<number, StoredUpload>> {
  const stored = new Map<number, StoredUpload>();
  const { files } = planned.report;
  try {
    for (const [messageId, file] of planned.files) {
      const bytes = Bun.file(file.path);
      if (!(await bytes.exists())) {
        files.missing.push({ message: messageId, path: file.relative, reason: "not found" });
        files.copied--;
        files.bytes -= file.size;
        planned.files.delete(messageId);
        continue;
      }
      const upload = await ctx.uploads.save(bytes);
      files.bytes += upload.size - file.size;
      stored.set(messageId, upload);
    }
  } catch (error) {
    for (const file of stored.values()) await ctx.uploads.remove(file.storage_name);
    throw error;
  }
  return stored;
}

/** Every row, inside the import's transaction; returns the last event seq. */
async function insertImportedRows(
  ctx: AppContext,
  { db: trx, writer }: JobTx,
  source: DjangoSource,
  planned: Plan,
  stored: Map<number, StoredUpload>,
  now: number,
): Promise<number> {
  let lastSeq = 0;
  await repo.insertUsers(trx, planned.users);
  for (const conversation of [...planned.groups.values(), ...planned.directs.values()]) {
    const { row } = conversation;
    await repo.insertConversation(trx, row);
    await repo.insertMembers(
      trx,
      conversation.members.map((m) => ({
        conversation_id: row.id,
        user_id: m.user_id,
        role: m.role,
        joined_at: row.created_at,
        last_read_message_id: conversation.lastMessageId,
        muted: 0,
      })),
    );
    for (const m of conversation.members) {
      const data = { user_id: m.user_id, role: m.role, kind: row.kind, name: row.name };
      lastSeq = await appendUnpublished(writer, { type: "member.joined", conversation_id: row.id, user_id: m.user_id, data }, now);
    }
  }

  const userIds = new Set(planned.usernames.keys());
  const groupIds = new Set(planned.groups.keys());
  let imported = 0;
  for (const m of source.messages()) {
    const route = routeOf(m, userIds, groupIds);
    if ("skip" in route) continue;
    const conversation = route.kind === "direct" ? planned.directs.get(route.key)!.row : planned.groups.get(route.group)!.row;
    const upload = stored.get(m.id);
    const expiresAt = upload ? planned.files.get(m.id)!.expiresAt : null;
    const fileId = upload ? await repo.insertFile(writer, m.sender_id, upload, route.at, expiresAt) : null;
    const body = m.message ?? "";
    await repo.insertMessage(writer, m.id, conversation.id, m.sender_id, body, fileId, route.at);
    const view = toMessageView(
      {
        id: m.id,
        conversation_id: conversation.id,
        sender_id: m.sender_id,
        body,
        file_id: fileId,
        created_at: route.at,
        client_id: null,
        deleted_at: null,
        edited_at: null,
        reply_to_id: null,
        reply_count: 0,
        reactions: null,
        mentions: null,
        pinned_at: null,
        sender_username: planned.usernames.get(m.sender_id)!,
        sender_is_bot: 0,
        via_webhook: 0,
        display_name: null,
        file_name: upload?.original_name ?? null,
        file_size: upload?.size ?? null,
        file_content_type: upload?.content_type ?? null,
        file_expires_at: expiresAt,
        file_deleted_at: null,
      },
      conversation,
      ctx.fileUrls,
      now,
    );
    lastSeq = await appendUnpublished(writer, { type: "message.created", conversation_id: conversation.id, message_id: m.id, data: view }, now);
    imported++;
  }
  if (imported !== planned.report.messages.imported)
    throw new Error(`the original changed during the import (${imported} messages, planned ${planned.report.messages.imported})`);

  // No id the original handed out is given again, not even those of rows it had deleted.
  const next = planned.report.nextIdsAbove;
  await raiseSequence(writer, "users", next.user);
  await raiseSequence(writer, "conversations", next.conversation);
  await raiseSequence(writer, "messages", next.message);
  return lastSeq;
}
