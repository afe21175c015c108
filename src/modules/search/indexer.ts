// Keeps the search index up with new messages: in batches, shortly after they are sent, and before any search
// (so a search always sees every message sent before it). Edits and deletes reach the index at once (triggers).
// SQLite only: PostgreSQL keeps its search indexes up to date on every write (see db/search-postgres.ts).
import type { Database as SqliteDatabase } from "bun:sqlite";
import type { AppContext } from "../../context";
import { indexIsBehind, indexPendingMessages, purgeDeletedFromIndex } from "../../db/search-sqlite";
import { commitWithEvents } from "../realtime/events";

/** Messages indexed per transaction: a burst of sends or an import is indexed without holding the writer long. */
const BATCH = 5_000;
/** How soon after a send its message is indexed: long enough to batch a busy room, short enough to search at once. */
const DELAY_MS = 200;

const running = new WeakMap<AppContext, Promise<void>>();

/** Indexes every message written so far; concurrent callers share one run. */
export function catchUpSearchIndex(ctx: AppContext): Promise<void> {
  const { sqlite } = ctx;
  if (!sqlite || !indexIsBehind(ctx.reader as SqliteDatabase)) return Promise.resolve(); // SQLite: the reader is its read connection
  let run = running.get(ctx);
  if (!run) {
    run = (async () => {
      try {
        while ((await commitWithEvents(ctx, async () => indexPendingMessages(sqlite, BATCH))) > 0);
      } finally {
        running.delete(ctx);
      }
    })();
    running.set(ctx, run);
  }
  return run;
}

/** Indexes new messages in the background (and what was imported or sent while the server was down). */
export function startSearchIndexer(ctx: AppContext): () => Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = () => {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      catchUpSearchIndex(ctx).catch((error) => ctx.log.error("search indexing failed", { error: String(error) }));
    }, DELAY_MS);
  };
  ctx.hub.onDeliver((event) => {
    if (event.type === "message.created") schedule();
  });
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running.get(ctx);
  };
}

/** The index is rewritten at most this often, and only after deletions: a large index takes a while to rewrite. */
const PURGE_INTERVAL_MS = 3_600_000;
const purge = new WeakMap<AppContext, { pending: boolean; lastAt: number }>();

/** Deleted or expired messages left their words in the index's older segments: purge them at the next chance. */
export function markIndexForPurge(ctx: AppContext): void {
  const state = purge.get(ctx) ?? { pending: false, lastAt: 0 };
  state.pending = true;
  purge.set(ctx, state);
}

/** Housekeeping: rewrites the index without deleted words when deletions happened and an interval has passed. */
export async function purgeIndexIfDue(ctx: AppContext, now = Date.now(), interval = PURGE_INTERVAL_MS): Promise<boolean> {
  const state = purge.get(ctx);
  const { sqlite } = ctx;
  if (!sqlite || !state?.pending || now - state.lastAt < interval) return false;
  state.pending = false;
  state.lastAt = now;
  await commitWithEvents(ctx, async () => purgeDeletedFromIndex(sqlite));
  return true;
}
