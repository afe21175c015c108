// Message retention, for administrators who must meet deletion laws: messages older than the server's
// PARLEY_MESSAGE_RETENTION or their group's retention_days (the shorter wins) are deleted with their files, and the
// event log forgets them too. A message that still has live replies stays as a tombstone until they go.
import type { AppContext } from "../../context";
import { commitWithEvents } from "../../core/commit";
import { deleteLoggedBefore } from "../../core/events";
import * as repo from "./repository";
import { tombstone } from "./service";
import { truncateWalSoon } from "../../db/wal";

/** Messages handled per transaction: keeps each write short, so sends never wait long behind the sweeper. */
const BATCH = 500;
/** Uploads on disk with no row are left alone this long: a send may be between saving the bytes and committing. */
const ORPHAN_GRACE_MS = 3_600_000;

export interface RetentionReport {
  messagesDeleted: number;
  messagesTombstoned: number;
  eventsDeleted: number;
  orphanFilesRemoved: number;
}

/** The retention of one conversation in ms, or null to keep forever. */
function effectiveRetention(serverMs: number, groupDays: number | null): number | null {
  const group = groupDays === null ? null : groupDays * 86_400_000;
  if (serverMs > 0 && group !== null) return Math.min(serverMs, group);
  return serverMs > 0 ? serverMs : group;
}

export async function sweepRetention(ctx: AppContext, now = Date.now()): Promise<RetentionReport> {
  const report: RetentionReport = { messagesDeleted: 0, messagesTombstoned: 0, eventsDeleted: 0, orphanFilesRemoved: 0 };
  const serverMs = ctx.config.messageRetentionMs;
  for (const conversation of await repo.listRetentions(ctx.db, serverMs === 0)) {
    const retention = effectiveRetention(serverMs, conversation.retention_days);
    if (retention !== null) await expireConversation(ctx, conversation.id, now - retention, report);
  }
  report.orphanFilesRemoved = await removeOrphanUploads(ctx, now);
  if (report.messagesDeleted + report.messagesTombstoned > 0) {
    ctx.searchIndexer.markForPurge();
    truncateWalSoon(ctx);
  }
  return report;
}

async function expireConversation(ctx: AppContext, conversationId: number, cutoff: number, report: RetentionReport): Promise<void> {
  // Ids grow with time, so the expired messages are a prefix of the conversation in id order: read it in batches
  // from the oldest, and stop at the first one that is young enough (no scan of the rest of the history).
  for (let after = 0; ; ) {
    const batch = await repo.listOldestAfter(ctx.db, conversationId, after, BATCH);
    const expired = batch.filter((m) => m.created_at < cutoff);
    if (expired.length === 0) break;
    after = expired.at(-1)!.id;
    // The job only returns what it did (a RerunnableWork may run twice); counted after the commit.
    const done = await commitWithEvents(ctx, async (tx, emit) => {
      // Parents with live replies keep their place as tombstones; everything else goes entirely. Replies come
      // after their parents, so drop first: a parent whose replies all went in this batch can go too.
      let dropped = 0;
      const drop = async (rows: typeof expired) => {
        const ids = rows.map((m) => m.id);
        if (ids.length === 0) return [];
        dropped += ids.length;
        const files = await tombstone(
          tx.db,
          rows.filter((m) => m.deleted_at === null).map((m) => m.id),
        ); // lowers parents' reply counts
        await repo.deleteMessages(tx.db, ids);
        return files;
      };
      const removed = await drop(expired.filter((m) => m.reply_count === 0));
      const parents = expired.filter((m) => m.reply_count > 0);
      const stillAnswered = new Set(
        parents.length
          ? await repo.withReplies(
              tx.db,
              parents.map((m) => m.id),
            )
          : [],
      );
      removed.push(...(await drop(parents.filter((m) => !stillAnswered.has(m.id)))));
      const keep = parents.filter((m) => stillAnswered.has(m.id) && m.deleted_at === null);
      removed.push(
        ...(await tombstone(
          tx.db,
          keep.map((m) => m.id),
        )),
      );
      const events = await deleteLoggedBefore(tx.db, conversationId, cutoff, BATCH * 4);

      // Tombstones kept for their replies come back in every sweep: say something only when something went.
      if (dropped + keep.length > 0)
        await emit({ type: "messages.expired", conversation_id: conversationId, data: { conversation_id: conversationId, up_to_id: after } });
      return { files: removed, deleted: dropped, tombstoned: keep.length, events };
    });
    report.messagesDeleted += done.deleted;
    report.messagesTombstoned += done.tombstoned;
    report.eventsDeleted += done.events;
    for (const storageName of done.files) await ctx.uploads.remove(storageName);
    if (expired.length < batch.length || batch.length < BATCH) break;
  }
}

/** Upload files with no `files` row (a crash between writing the bytes and committing the message). */
async function removeOrphanUploads(ctx: AppContext, now: number): Promise<number> {
  // Younger files may belong to a send still in progress.
  const names = await ctx.uploads.storedBefore(now - ORPHAN_GRACE_MS);
  if (names.length === 0) return 0;
  const known = new Set<string>();
  for (let i = 0; i < names.length; i += 500) {
    for (const name of await repo.knownStorageNames(ctx.db, names.slice(i, i + 500))) known.add(name);
  }
  let removed = 0;
  for (const name of names) {
    if (known.has(name)) continue;
    await ctx.uploads.remove(name);
    removed++;
  }
  return removed;
}
