// After a commit that removed text (a delete, an edit), SQLite's write-ahead log still holds earlier images of the
// pages it changed, the text in them, until a checkpoint resets the log. This resets it: one checkpoint for a burst
// of such commits, awaited by each of them (so an answer comes after the text is gone from disk). PostgreSQL: nothing.
import type { Database as SqliteDatabase } from "bun:sqlite";
import type { AppContext } from "../context";
import { BUSY_TIMEOUT_MS } from "./index";

/** While another process reads an old snapshot (a backup), the log cannot be reset; tried again after this. */
const RETRY_MS = 1_000;

interface Truncation {
  /** The checkpoint not started yet, which every commit finished before it starts can wait for. */
  next: Promise<void> | null;
  /** The last one queued: checkpoints run one after another. */
  last: Promise<void>;
  retry: ReturnType<typeof setTimeout> | null;
}

const truncations = new WeakMap<SqliteDatabase, Truncation>();

/** Resolves once a checkpoint that started after the call has moved every committed page into the database file and emptied the log. */
export function truncateWal(ctx: Pick<AppContext, "sqlite" | "db" | "log">): Promise<void> {
  const { sqlite } = ctx;
  if (!sqlite) return Promise.resolve();
  let state = truncations.get(sqlite);
  if (!state) truncations.set(sqlite, (state = { next: null, last: Promise.resolve(), retry: null }));
  if (state.next) return state.next;
  const run = state.last
    .then(() => new Promise<void>((resolve) => setImmediate(resolve))) // the rest of the burst joins this one
    .then(() => {
      state.next = null;
      return checkpoint(ctx, state);
    });
  state.next = run;
  state.last = run;
  return run;
}

async function checkpoint(ctx: Pick<AppContext, "sqlite" | "db" | "log">, state: Truncation): Promise<void> {
  const sqlite = ctx.sqlite!;
  try {
    // On Kysely's one connection, so no group commit's transaction is open meanwhile; without the busy wait, which
    // would hold the event loop for as long as another process's reader keeps its snapshot.
    const busy = await ctx.db.connection().execute(async () => {
      sqlite.run("PRAGMA busy_timeout = 0");
      try {
        return sqlite.query<{ busy: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)").get()?.busy === 1;
      } finally {
        sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
    });
    if (busy && !state.retry) {
      ctx.log.warn("the write-ahead log could not be reset (a reader holds an old snapshot); trying again", {});
      state.retry = setTimeout(() => {
        state.retry = null;
        void truncateWal(ctx);
      }, RETRY_MS);
      state.retry.unref?.();
    }
  } catch (error) {
    ctx.log.error("resetting the write-ahead log failed", { error: String(error) });
  }
}
