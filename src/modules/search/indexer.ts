// Keeps the search index up with new messages: in batches, shortly after they are sent, and before any search
// (so a search always sees every message sent before it). Edits and deletes reach the index at once (triggers).
// SQLite only: PostgreSQL keeps its search indexes up to date on every write (see db/search-postgres.ts).
import type { Database as SqliteDatabase } from "bun:sqlite";
import type { GroupCommitter } from "../../core/commit";
import { commitWithEvents } from "../../core/commit";
import { SEARCH_INDEXES, indexIsBehind, indexPendingMessages, mergeSearchIndexStep, purgeDeletedFromIndex } from "../../db/search-sqlite";
import type { Logger } from "../../lib/log";

/** Messages indexed per transaction: a burst of sends or an import is indexed without holding the writer long. */
const BATCH = 5_000;
/** How soon after a send its message is indexed: long enough to batch a busy room, short enough to search at once. */
const DELAY_MS = 200;
/** The index is rewritten at most this often, and only after deletions: a large index takes a while to rewrite. */
const PURGE_INTERVAL_MS = 3_600_000;

/**
 * Between two batches or merge steps, sockets and requests get their turn: each job's promise settles in microtasks,
 * so an awaited loop of them would otherwise hold the event loop for the whole catch-up or merge (336 ms at 1M).
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One per app (built in createApp); does nothing on PostgreSQL (`sqlite` null). */
export class SearchIndexer {
  private running: Promise<void> | null = null;
  private merging: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private purgePending = false;
  private purgedAt = 0;

  constructor(private readonly deps: { sqlite: SqliteDatabase | null; reader: SqliteDatabase | null; committer: GroupCommitter; log: Logger }) {}

  /** Indexes every message written so far; concurrent callers share one run. */
  catchUp(): Promise<void> {
    const { sqlite, reader } = this.deps;
    if (!sqlite || !reader || !indexIsBehind(reader)) return Promise.resolve();
    this.running ??= (async () => {
      try {
        while ((await commitWithEvents(this.deps, async () => indexPendingMessages(sqlite, BATCH))) > 0) await yieldToEventLoop();
      } finally {
        this.running = null;
      }
      this.mergeInSteps(sqlite);
    })();
    return this.running;
  }

  /** Merges the index's new segments (FTS5 no longer does, inside inserts: migration 0017), one short transaction a step. */
  private mergeInSteps(sqlite: SqliteDatabase): void {
    if (!this.started || this.merging) return;
    this.merging = (async () => {
      let idle = 0;
      try {
        for (let table = 0; this.started; table = (table + 1) % SEARCH_INDEXES) {
          if (!(await commitWithEvents(this.deps, async () => mergeSearchIndexStep(sqlite, table)))) idle++;
          else idle = 0;
          if (idle === SEARCH_INDEXES) break; // a full round found nothing to merge
          await yieldToEventLoop();
        }
      } catch (error) {
        this.deps.log.error("search index merge failed", { error: String(error) }); // the next batch tries again
      } finally {
        this.merging = null;
      }
    })();
  }

  /** A message was published: index it shortly, once the background indexer runs. */
  messageCreated(): void {
    if (!this.started || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.catchUp().catch((error) => this.deps.log.error("search indexing failed", { error: String(error) }));
    }, DELAY_MS);
  }

  /** Indexes new messages in the background (and what was imported or sent while the server was down). */
  start(): () => Promise<void> {
    this.started = true;
    this.messageCreated();
    if (this.deps.sqlite) this.mergeInSteps(this.deps.sqlite); // what a restart or an import left unmerged
    return async () => {
      this.started = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.running;
      await this.merging;
    };
  }

  /** Deleted or expired messages left their words in the index's older segments: purge them at the next chance. */
  markForPurge(): void {
    this.purgePending = true;
  }

  /** Housekeeping: rewrites the index without deleted words when deletions happened and an interval has passed. */
  async purgeIfDue(now = Date.now(), interval = PURGE_INTERVAL_MS): Promise<boolean> {
    const { sqlite } = this.deps;
    if (!sqlite || !this.purgePending || now - this.purgedAt < interval) return false;
    this.purgePending = false;
    this.purgedAt = now;
    await commitWithEvents(this.deps, async () => purgeDeletedFromIndex(sqlite));
    return true;
  }
}
