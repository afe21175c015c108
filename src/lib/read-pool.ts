// Reads that cannot be bounded (a member's search over a million messages, a long conversation list, deep history
// pages, listings) run in worker threads with read connections of their own, so the event loop keeps answering
// sockets and /healthz meanwhile. On PostgreSQL, or with PARLEY_READ_WORKERS=0, they run here: the same code.
import type { Connection } from "../db/prepared";
import type { FileUrls } from "../modules/files/urls";
import { AppError, RetryLaterError, type ErrorCode, type FieldErrors } from "./errors";
import type { Logger } from "./log";

/** What a read needs: a connection that sees committed data, and the signer of the file URLs its views hold. */
export interface ReadContext {
  reader: Connection;
  fileUrls: FileUrls;
}

export interface ReadTask<A extends unknown[], R> {
  readonly name: string;
  run(ctx: ReadContext, ...args: A): Promise<R>;
}

const tasks = new Map<string, ReadTask<any, any>>();

/** A read that may run in a worker, known there by `name`: its arguments and result must survive structured cloning. */
export function defineRead<A extends unknown[], R>(name: string, run: (ctx: ReadContext, ...args: A) => Promise<R>): ReadTask<A, R> {
  if (tasks.has(name)) throw new Error(`read task ${name} defined twice`);
  const task = { name, run };
  tasks.set(name, task);
  return task;
}

/** What a worker builds its own ReadContext from (see read-worker.ts). */
export interface WorkerSetup {
  dataDir: string;
  secret: string;
  fileUrlTtlMs: number;
}

export type ReadRequest = { id: number; task: string; args: unknown[] };
/** Sent by close(): the worker closes its database and exits. */
export type CloseRequest = { close: true };
const CLOSE_GRACE_MS = 2_000;
/** An AppError's parts, or another error's message and code (SQLITE_FULL, SQLITE_BUSY: see lib/faults.ts). */
type SentError = { message: string; status?: number; code?: ErrorCode | string; fields?: FieldErrors };
/** An answer (`collecting`: the worker collects its garbage next), or word that it has collected. */
export type ReadReply =
  | (({ id: number; ok: true; value: unknown } | { id: number; ok: false; error: SentError }) & { collecting?: boolean })
  | { collected: true };
type Answer = Exclude<ReadReply, { collected: true }>;

/** Runs one request in a worker: the answer, or the error as the event loop rethrows it (an AppError stays one). */
export async function answerRead(ctx: ReadContext, { id, task, args }: ReadRequest): Promise<Answer> {
  try {
    const known = tasks.get(task);
    if (!known) throw new Error(`unknown read task ${task}`);
    return { id, ok: true, value: await known.run(ctx, ...args) };
  } catch (error) {
    const { message, status, code, fields } = error as AppError;
    return { id, ok: false, error: error instanceof AppError ? { message, status, code, fields } : { message: String(message ?? error), code } };
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Collecting its garbage after its last answer: not idle, though nothing is pending. */
  collecting: boolean;
}

/** More reads waiting than this answer 503 at once: a queue that only grows helps nobody. */
const MAX_WAITING = 256;

const refused = (message: string) => new RetryLaterError(503, "unavailable", message, 1000);

function received({ message, status, code, fields }: SentError): Error {
  return status ? new AppError(status, code as ErrorCode, message, fields) : Object.assign(new Error(message), { code });
}

export class ReadPool {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private waiting = 0;
  private closed = false;

  constructor(
    /** Where reads run when there are no workers (PostgreSQL, PARLEY_READ_WORKERS=0). */
    private readonly local: ReadContext,
    private readonly options: { size: number; entry: string | URL; setup: WorkerSetup | null; log: Logger },
  ) {}

  /** How many workers it may start (0: reads run on the event loop). */
  get size(): number {
    return this.options.setup ? this.options.size : 0;
  }

  /** How many are running. */
  get started(): number {
    return this.threads.length;
  }

  run<A extends unknown[], R>(task: ReadTask<A, R>, ...args: A): Promise<R> {
    if (this.size === 0) return task.run(this.local, ...args);
    if (this.closed || this.waiting >= MAX_WAITING) return Promise.reject(refused("The server is busy; try again."));
    const thread = this.pick();
    const id = this.nextId++;
    this.waiting++;
    return new Promise<R>((resolve, reject) => {
      thread.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.worker.postMessage({ id, task: task.name, args } satisfies ReadRequest);
    }).finally(() => this.waiting--);
  }

  /** An idle thread, else a new one (started on first need), else the least busy (a collecting one counts as busy). */
  private pick(): Thread {
    const idle = this.threads.find((t) => t.pending.size === 0 && !t.collecting);
    if (idle) return idle;
    if (this.threads.length < this.size) return this.start();
    const load = (t: Thread) => t.pending.size + (t.collecting ? 1 : 0);
    return this.threads.reduce((a, b) => (load(b) < load(a) ? b : a));
  }

  private start(): Thread {
    const worker = new Worker(this.options.entry);
    const thread: Thread = { worker, pending: new Map(), collecting: false };
    worker.postMessage(this.options.setup);
    worker.onmessage = ({ data }: MessageEvent<ReadReply>) => {
      if ("collected" in data) return void (thread.collecting = false);
      thread.collecting = data.collecting === true;
      const pending = thread.pending.get(data.id);
      if (!pending) return;
      thread.pending.delete(data.id);
      if (data.ok) pending.resolve(data.value);
      else pending.reject(received(data.error));
    };
    worker.onerror = (event) => {
      this.options.log.error("read worker failed", { error: event.message });
      this.drop(thread, new Error(`read worker failed: ${event.message}`));
    };
    worker.addEventListener("close", () => this.drop(thread, new Error("read worker exited")));
    (worker as Worker & { unref(): void }).unref(); // an idle worker keeps no process alive
    this.threads.push(thread);
    return thread;
  }

  /** A failed thread's reads fail with it; the next read starts a new one. */
  private drop(thread: Thread, error: Error) {
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    for (const pending of thread.pending.values()) pending.reject(error);
    thread.pending.clear();
    thread.worker.terminate();
  }

  /** Refuses new reads, fails the waiting ones, and resolves once every worker has closed its database and exited. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.threads].map((thread) => {
        const exited = new Promise((resolve) => thread.worker.addEventListener("close", resolve));
        // Asked first: a terminated worker may leave its database file open until collected (a data dir to unmount).
        thread.worker.postMessage({ close: true } satisfies CloseRequest);
        const fallback = setTimeout(() => thread.worker.terminate(), CLOSE_GRACE_MS);
        return exited.then(() => clearTimeout(fallback));
      }),
    );
    for (const thread of [...this.threads]) this.drop(thread, refused("The server is shutting down."));
  }
}
