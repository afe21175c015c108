// SQLite's checkpoints, off the event loop: by default the connection that commits copies the write-ahead log into
// the database file and syncs it (7-12 ms at 1M messages, once 122 ms), inside whichever commit crossed 1,000 pages.
// Here the writer never checkpoints; a worker thread with its own connection does, PASSIVE (it never blocks the
// writer, and no writer's busy wait lands on the event loop). SQLite only: PostgreSQL checkpoints itself.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { statSync } from "node:fs";
import type { Logger } from "../lib/log";
import type { Db } from "./index";
import { checkpointBetweenTransactions } from "./wal";

/** What the worker reports after a checkpoint that moved frames (PRAGMA wal_checkpoint's row). */
export interface CheckpointReport {
  /** Frames in the log. */
  log: number;
  /** Frames of it now in the database file. */
  checkpointed: number;
}

/** Sent to the worker: where the database is and how often to checkpoint, or that it must close and exit. */
export type CheckpointerRequest = { path: string; intervalMs: number } | { close: true };
export type CheckpointerReply = CheckpointReport | { error: string };

export interface CheckpointerOptions {
  /** The writer's Kysely handle: its connection is taken between transactions to restart the log. */
  db: Db;
  /** The worker's entrypoint (in the compiled binary, its name there: see app.ts). */
  entry: string | URL;
  log: Logger;
  /**
   * How often the worker checkpoints what the log holds. Not more often: the commit after each checkpoint starts the
   * log over, and writing a new log's header syncs it (on the event loop).
   */
  intervalMs?: number;
  /** How often the event loop looks at the log's size (one stat). */
  watchMs?: number;
  /** When a commit starts a wholly checkpointed log over, the file is cut to this size (journal_size_limit). */
  rewindBytes?: number;
  /** A log larger than this means the worker falls behind (or failed): the writer checkpoints at its commits again. */
  fallbackBytes?: number;
}

/** SQLite's own default: the writer checkpoints at the commit that takes the log past 1,000 pages. */
const WRITER_CHECKPOINT_PAGES = 1000;
const CLOSE_GRACE_MS = 2_000;

export class WalCheckpointer {
  /** Checkpoints that moved frames into the database file (a metric; tests wait on it). */
  checkpoints = 0;
  /** Whether the writer checkpoints itself again (the log grew past fallbackBytes). */
  fallback = false;
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly watch: ReturnType<typeof setInterval>;
  private waiters: Array<(report: CheckpointReport) => void> = [];
  private closed = false;
  /** The last checkpoint's error, said once while it repeats (a full disk). */
  private lastError: string | null = null;
  private readonly walPath: string;
  private readonly settings: Required<Omit<CheckpointerOptions, "entry" | "log" | "db">>;

  constructor(
    private readonly writer: SqliteDatabase,
    private readonly path: string,
    private readonly options: CheckpointerOptions,
  ) {
    this.walPath = `${path}-wal`;
    this.settings = { intervalMs: 1_000, watchMs: 250, rewindBytes: 16 * 1024 ** 2, fallbackBytes: 64 * 1024 ** 2, ...options };
    writer.run("PRAGMA wal_autocheckpoint = 0");
    // Once the worker has checkpointed all of it, the next commit starts the log over; this keeps the file small then.
    writer.run(`PRAGMA journal_size_limit = ${this.settings.rewindBytes}`);
    this.watch = setInterval(() => this.look(), this.settings.watchMs);
    this.watch.unref?.();
  }

  /** The log's size in bytes (0 when there is none). */
  walBytes(): number {
    return statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0;
  }

  /** Settles with the next checkpoint's report (tests). */
  nextCheckpoint(): Promise<CheckpointReport> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Whether its thread runs (started at the first write, gone after stop()). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker once something was written; hands checkpoints back to the writer while the log is too large. */
  private look(): void {
    if (this.closed) return;
    const bytes = this.walBytes();
    if (!this.worker && bytes > 0) this.start();
    if (!this.fallback && bytes > this.settings.fallbackBytes) {
      this.fallback = true;
      this.writer.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
      this.options.log.warn("the write-ahead log outgrew its checkpointer; the writer checkpoints it meanwhile", { wal_bytes: bytes });
    } else if (this.fallback && bytes <= this.settings.rewindBytes) {
      this.fallback = false;
      this.writer.run("PRAGMA wal_autocheckpoint = 0");
      this.options.log.info("the write-ahead log is small again; checkpoints are back off the event loop", { wal_bytes: bytes });
    }
  }

  private start(): void {
    const worker = new Worker(this.options.entry);
    this.worker = worker;
    let failure: string | undefined;
    this.exited = new Promise((resolve) =>
      worker.addEventListener("close", () => {
        if (this.worker === worker) this.worker = null;
        if (!this.closed) this.takeBack(failure ?? "exited");
        resolve();
      }),
    );
    worker.onmessage = ({ data }: MessageEvent<CheckpointerReply>) => {
      if ("error" in data) {
        if (data.error !== this.lastError) this.options.log.warn("checkpoint failed; trying again every interval", { error: data.error });
        this.lastError = data.error;
        return;
      }
      this.lastError = null;
      this.checkpoints++;
      if (data.checkpointed === data.log && this.walBytes() > this.settings.rewindBytes) void this.restart();
      for (const resolve of this.waiters.splice(0)) resolve(data);
    };
    worker.onerror = (event) => {
      failure = event.message;
      worker.terminate();
    };
    (worker as Worker & { unref(): void }).unref();
    worker.postMessage({ path: this.path, intervalMs: this.settings.intervalMs } satisfies CheckpointerRequest);
  }

  /**
   * A commit starts a wholly checkpointed log over by itself, unless a reader is in the log just then; when the file
   * shows that this keeps failing, the writer restarts it (on its own connection: a RESTART by another one would turn
   * a group commit's read snapshot stale, and its write would fail "database is locked"). Between two transactions,
   * never waiting (busy_timeout 0): with readers still in the log it is tried again at the next whole checkpoint.
   */
  private async restart(): Promise<void> {
    await checkpointBetweenTransactions(this.options.db, this.writer, "RESTART").catch(() => undefined); // closing: nothing left to restart
  }

  /** The worker ended unasked: not started again (one that cannot load would fail every time), the writer checkpoints. */
  private takeBack(error: string): void {
    this.options.log.error("checkpoint worker failed; the writer checkpoints at its commits from now on", { error });
    this.closed = true;
    clearInterval(this.watch);
    try {
      this.writer.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
    } catch {} // closed meanwhile: nothing left to checkpoint
  }

  /** Stops watching and lets the worker finish its checkpoint, close its connection and exit; resolves once it has. */
  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.watch);
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ close: true } satisfies CheckpointerRequest);
    const fallback = setTimeout(() => worker.terminate(), CLOSE_GRACE_MS);
    await this.exited;
    clearTimeout(fallback);
  }
}
