// After a commit that removed text (a delete, an edit), SQLite's write-ahead log still holds earlier images of the
// pages it changed, the text in them, until a checkpoint resets the log. This resets it, soon after such commits:
// a checkpoint syncs the database file (milliseconds, on the event loop), so the answer does not wait for it, and at
// most one starts per MIN_INTERVAL_MS, shared by every commit before it. PostgreSQL: nothing to do.
import type { Database as SqliteDatabase } from "bun:sqlite";
import type { AppContext } from "../context";
import { BUSY_TIMEOUT_MS, type Db } from "./index";

/** The least time from one checkpoint's start to the next one's: a stream of edits cannot take the event loop. */
const MIN_INTERVAL_MS = 100;
/** While another process reads an old snapshot (a backup), the log cannot be reset; tried again after this. */
const RETRY_MS = 1_000;
/** Most often what holds the log is the checkpoint worker's own checkpoint (db/checkpointer.ts), over in milliseconds. */
const QUICK_RETRIES = 5;
const QUICK_RETRY_MS = 20;

interface Truncation {
  /** A checkpoint scheduled and not started yet: commits finished before it starts are covered by it. */
  next: Promise<void> | null;
  /** The last checkpoint scheduled (settles when it has run). */
  last: Promise<void>;
  startedAt: number;
  retry: ReturnType<typeof setTimeout> | null;
}

const truncations = new WeakMap<SqliteDatabase, Truncation>();

type WalContext = Pick<AppContext, "sqlite" | "db" | "log">;

/**
 * A checkpoint by the writer's connection, on Kysely's one connection so that no group commit's transaction is open
 * meanwhile, and without the busy wait, which would hold the event loop for as long as a reader keeps its snapshot.
 * Resolves with whether it was busy (not done).
 */
export function checkpointBetweenTransactions(db: Db, writer: SqliteDatabase, mode: "RESTART" | "TRUNCATE"): Promise<boolean> {
  return db.connection().execute(async () => {
    writer.run("PRAGMA busy_timeout = 0");
    try {
      return writer.query<{ busy: number }, []>(`PRAGMA wal_checkpoint(${mode})`).all()[0]?.busy === 1;
    } finally {
      writer.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  });
}

/**
 * Schedules a checkpoint that moves every committed page into the database file and empties the log (at once when
 * none ran in the last MIN_INTERVAL_MS, else when that has passed). Call it after a commit that removed text.
 */
export function truncateWalSoon(ctx: WalContext): void {
  const { sqlite } = ctx;
  if (!sqlite) return;
  let state = truncations.get(sqlite);
  if (!state) truncations.set(sqlite, (state = { next: null, last: Promise.resolve(), startedAt: -Infinity, retry: null }));
  if (state.next) return;
  const run = state.last
    .then(() => {
      const wait = state.startedAt + MIN_INTERVAL_MS - performance.now();
      return new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    })
    .then(() => {
      state.next = null;
      state.startedAt = performance.now();
      return checkpoint(ctx, state);
    });
  state.next = run;
  state.last = run;
}

/** Settles when the last checkpoint scheduled has run: removed text is out of the log by then (tests await this). */
export function walTruncated(ctx: WalContext): Promise<void> {
  return (ctx.sqlite && truncations.get(ctx.sqlite)?.last) || Promise.resolve();
}

async function checkpoint(ctx: WalContext, state: Truncation): Promise<void> {
  const sqlite = ctx.sqlite!;
  try {
    let busy = false;
    for (let attempt = 0; attempt <= QUICK_RETRIES; attempt++) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, QUICK_RETRY_MS));
      busy = await checkpointBetweenTransactions(ctx.db, sqlite, "TRUNCATE");
      if (!busy) break;
    }
    if (busy && !state.retry) {
      ctx.log.warn("the write-ahead log could not be reset (a reader holds an old snapshot); trying again", {});
      state.retry = setTimeout(() => {
        state.retry = null;
        truncateWalSoon(ctx);
      }, RETRY_MS);
      state.retry.unref?.();
    }
  } catch (error) {
    ctx.log.warn("resetting the write-ahead log failed (closing?)", { error: String(error) });
  }
}
