// What an import did (or, in a dry run, would do), and its text form printed by `parley import-django`.

/** Why the import did not run: bad usage and a non-empty target are the caller's to fix (exit 2), a conflict in the data is not (exit 1). */
export class ImportError extends Error {
  constructor(
    readonly kind: "usage" | "not_empty" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

export const SKIP_REASONS = {
  no_receiver: "no receiver at all (the original stored them, but nobody could read them)",
  both_receivers: "both a receiver user and a receiver group",
  unknown_sender: "a sender who is not in the database",
  unknown_receiver: "a receiver user or group that is not in the database",
  bad_timestamp: "an unreadable timestamp",
} as const;
export type SkipReason = keyof typeof SKIP_REASONS;

export interface UserRef {
  id: number;
  username: string;
}

export interface ImportReport {
  dryRun: boolean;
  source: { db: string; media: string };
  target: string;
  users: {
    imported: number;
    inactive: number;
    staff: number;
    superusers: number;
    /** Django pbkdf2_sha256 hashes kept, by iteration count. */
    pbkdf2: Record<string, number>;
    /** Users whose password Parley cannot check: they must be given a new one. */
    mustReset: Array<UserRef & { reason: string }>;
  };
  groups: {
    imported: number;
    owners: Array<{ id: number; name: string; owner: UserRef | null; members: number }>;
    /** Names that differed from another group's only in case, renamed to stay unique. */
    renamed: Array<{ id: number; from: string; to: string }>;
    /** Memberships of users who are not in the database. */
    skippedMembers: Array<{ group: number; user: number }>;
    /** Group messages whose sender was not a member (the original let anyone post): kept, no membership added. */
    postsByNonMembers: number;
  };
  directs: Array<{ id: number; users: [UserRef, UserRef]; messages: number }>;
  messages: {
    found: number;
    imported: number;
    direct: number;
    group: number;
    skipped: Partial<Record<SkipReason, number[]>>;
    /** Timestamps with more than millisecond precision (Parley keeps milliseconds). */
    truncatedTimestamps: number;
  };
  files: {
    found: number;
    copied: number;
    bytes: number;
    expired: number;
    /** Message ids whose file_expiry was unreadable: their files never expire. */
    unreadableExpiry: number[];
    missing: Array<{ message: number; path: string; reason: string }>;
  };
  events: number;
  /** New rows get ids above these. */
  nextIdsAbove: { user: number; conversation: number; message: number };
}

const user = (u: UserRef) => `${u.username} (${u.id})`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** At most `max` ids, then how many more. */
function idList(ids: number[], max = 20): string {
  return ids.length <= max ? ids.join(", ") : `${ids.slice(0, max).join(", ")} … and ${ids.length - max} more`;
}

function row(label: string, text: string): string {
  return `${label.padEnd(14)} ${text}`;
}

export function formatReport(r: ImportReport): string {
  const lines: string[] = [];
  lines.push(`${r.dryRun ? "Dry run of the import" : "Imported"} from the original: ${r.source.db} (media: ${r.source.media}) into ${r.target}`);
  if (r.dryRun) lines.push("Nothing was written. Run again without --dry-run to import.");
  lines.push("");

  const u = r.users;
  lines.push(row("Users", `${u.imported} imported (${u.inactive} inactive, ${u.staff} staff, ${plural(u.superusers, "superuser")}), ids kept`));
  const pbkdf2Total = Object.values(u.pbkdf2).reduce((a, b) => a + b, 0);
  const counts = Object.entries(u.pbkdf2)
    .map(([iterations, n]) => `${n} × ${iterations} iterations`)
    .join(", ");
  lines.push(
    row("  passwords", `${pbkdf2Total} Django pbkdf2_sha256 hashes kept${counts ? ` (${counts})` : ""}: checked at login, then replaced with argon2id`),
  );
  if (u.mustReset.length === 0) lines.push(row("  must reset", "nobody"));
  for (const m of u.mustReset) lines.push(row("  must reset", `${user(m)}: ${m.reason}; give them a new password (PUT /api/${m.id}/update/ as staff)`));

  const g = r.groups;
  lines.push(row("Groups", `${g.imported} imported as group conversations, ids kept`));
  for (const o of g.owners) {
    if (o.owner) lines.push(row("  owner", `${o.name} (${o.id}): ${user(o.owner)}, its first member, of ${plural(o.members, "member")}`));
    else lines.push(row("  no members", `${o.name} (${o.id}): nobody owns it; anyone may join`));
  }
  for (const n of g.renamed) lines.push(row("  renamed", `group ${n.id} "${n.from}" → "${n.to}" (another group has that name in another case)`));
  for (const s of g.skippedMembers) lines.push(row("  skipped", `membership of unknown user ${s.user} in group ${s.group}`));
  if (g.postsByNonMembers)
    lines.push(row("  non-members", `${plural(g.postsByNonMembers, "group message")} from senders who were not members (kept; they do not become members)`));

  lines.push(row("Direct", `${plural(r.directs.length, "conversation")} made from direct messages (new ids)`));
  for (const d of r.directs) {
    const who = d.users[0].id === d.users[1].id ? `${user(d.users[0])} with themself` : `${user(d.users[0])} and ${user(d.users[1])}`;
    lines.push(row(`  ${d.id}`, `${who}, ${plural(d.messages, "message")}`));
  }

  const m = r.messages;
  const skipped = Object.values(m.skipped).reduce((a, ids) => a + ids.length, 0);
  lines.push(row("Messages", `${m.imported} of ${m.found} imported (${m.direct} direct, ${m.group} in groups), ids kept; ${skipped} skipped`));
  for (const [reason, ids] of Object.entries(m.skipped) as [SkipReason, number[]][]) {
    lines.push(row("  skipped", `${ids.length} with ${SKIP_REASONS[reason]}: ${idList(ids)}`));
  }
  if (m.truncatedTimestamps) lines.push(row("  timestamps", `${m.truncatedTimestamps} had microseconds; Parley keeps milliseconds (order is kept)`));

  const f = r.files;
  lines.push(
    row(
      "Files",
      `${f.copied} of ${f.found} ${r.dryRun ? "to copy" : "copied"} (${f.bytes} bytes) with SHA-256 and size; ${f.expired} already expired (downloads answer 410)`,
    ),
  );
  for (const x of f.missing) lines.push(row("  missing", `message ${x.message}: ${x.path} (${x.reason}); the message is imported without it`));
  if (f.unreadableExpiry.length) lines.push(row("  no expiry", `unreadable file_expiry, kept without one: messages ${idList(f.unreadableExpiry)}`));

  lines.push(row("Event log", `${r.events} events (member.joined, message.created), so clients resuming from seq 0 replay this history`));

  // Groups come first into an empty database and direct conversations are numbered after them, so no id collides.
  lines.push(row("Ids", "users, groups and messages keep the original's ids; direct conversations are new (listed above)"));
  const next = r.nextIdsAbove;
  lines.push(row("Next ids", `above user ${next.user}, conversation ${next.conversation}, message ${next.message} (no id of the original is reused)`));
  return `${lines.join("\n")}\n`;
}
