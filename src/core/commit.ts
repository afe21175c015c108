// The group commit, the one way anything is written: a job runs in a transaction, the events it emits are appended
// to the log there (events.ts), and they are handed to `afterCommit` (publish to sockets and to the other nodes) only after the commit.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { sql, type Insertable } from "kysely";
import type { DatabaseHandle, Db } from "../db";
import type { Connection } from "../db/prepared";
import { isOutOfSpace } from "../lib/disk-space";
import { isDatabaseUnreachable } from "../lib/database-outage";
import type { Faults } from "../lib/faults";
import type { Metrics } from "../lib/metrics";
import type { MessageTable } from "../db/schema";
import { insertRowsText, type PipelineHooks } from "../db/postgres-dialect";
import { appendEvent, appendEventsText, type ChatEvent, type LoggedEvent, type PendingEvent } from "./events";

export type Emit = (event: ChatEvent) => Promise<void>;

/**
 * On PostgreSQL, while a batch runs without savepoints (see runTogether): message ids taken ahead for the batch, with
 * BEGIN and the event-log lock, in one round trip; and inserts whose answers nobody waits for held back — one
 * multi-row insert per table for all the rows held when the transaction's next statement goes (so the batch reads
 * its own writes), or at the end in the COMMIT's round trip. A plain send then costs no round trip and no statement
 * of its own, and a batch of them two round trips.
 */
export interface Pipeline {
  nextMessageId(): Promise<number>;
  insertLater(table: "messages", row: Insertable<MessageTable>): void;
}

/** What a job writes through: one transaction, with its fastest handle and (PostgreSQL batches) its pipeline. */
export interface JobTx {
  /** The Kysely transaction: every query of the job goes through it (or through `writer`, the same connection). */
  db: Db;
  /** For prepared statements: SQLite's raw writer connection (the transaction holds it), else the transaction. */
  writer: Connection;
  /** The batch's pipeline when this is a PostgreSQL batch running without savepoints; null otherwise. */
  pipeline: Pipeline | null;
}

/**
 * A job of the group commit. It may run twice (a batch in which one job failed runs again, each job in a
 * savepoint): it must change nothing but the database, through `tx` and `emit`; anything else it did goes in its
 * result, acted on after the commit.
 */
export type RerunnableWork<T> = (tx: JobTx, emit: Emit) => Promise<T>;

export interface CommitterOptions {
  /** SQLite's raw writer connection; null on PostgreSQL. */
  sqlite: SqliteDatabase | null;
  transaction: DatabaseHandle["transaction"];
  metrics: Metrics;
  /** Turns a commit that found the disk full or the database away into a 507 or 503, and hears when commits succeed again. */
  faults: Faults;
  /** Each batch's committed events, in seq order, once the commit is done (assembled in createApp). */
  afterCommit: (events: LoggedEvent[]) => void;
}

/**
 * Runs `work` in a transaction; the events it emits are logged in that transaction and published after the
 * commit, and the promise settles only then. Works that arrive in the same event-loop turn share one
 * transaction (group commit: one fsync for many under PARLEY_DURABILITY=full), so one that fails is rolled back
 * alone and the others still commit.
 */
export function commitWithEvents<T>(ctx: { committer: GroupCommitter }, work: RerunnableWork<T>, expected: { messages?: number } = {}): Promise<T> {
  return ctx.committer.enqueue(work, expected.messages ?? 0);
}

const messageIdsAhead = (trx: Db, count: number) =>
  sql<{ id: number }>`select nextval(pg_get_serial_sequence('messages', 'id')) as id from generate_series(1, ${count}::int)`.execute(trx);
/** The same as text, to go with other statements (see PipelineHooks.sendText). */
const messageIdsText = (count: number) => `select nextval(pg_get_serial_sequence('messages', 'id')) as id from generate_series(1, ${Math.trunc(count)})`;

/**
 * Taken by every transaction that appends events, on PostgreSQL: seqs come from a sequence, handed out in the order
 * inserts run, not the order transactions commit; two nodes committing at once could make seq 8 visible before
 * seq 7, and a reader past 8 would never see 7. Holding this lock until commit makes seq order commit order.
 * (SQLite has one writer at a time already.) One lock per group commit, so its cost is shared by the batch.
 */
const EVENT_LOG_LOCK = 0x7061726c; // "parl"

interface Job {
  work: RerunnableWork<unknown>;
  /** How many messages the work inserts (a send: one): ids taken ahead for it on PostgreSQL (see Pipeline). */
  messages: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class GroupCommitter {
  private queue: Job[] = [];
  private flushing = false;

  constructor(private readonly options: CommitterOptions) {}

  enqueue<T>(work: RerunnableWork<T>, messages: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, messages, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** A transaction of its own, outside the batches, publishing nothing: for bulk writes nobody can be listening to yet (the import). */
  bulk<T>(work: (tx: JobTx) => Promise<T>): Promise<T> {
    return this.options.transaction((trx) => work({ db: trx, writer: this.options.sqlite ?? trx, pipeline: null }));
  }

  private async flush() {
    while (this.queue.length) {
      const jobs = this.queue.splice(0, 1000);
      await this.commit(jobs);
    }
    this.flushing = false;
  }

  private async commit(jobs: Job[]) {
    const { options } = this;
    // Failures are reported after the batch settles, so a caller that reacts by reading (e.g. a duplicate
    // client_id looking up the first message) sees what the batch committed.
    const failed: Failed[] = [];
    const started = performance.now();
    let done: Done[];
    try {
      done = (await this.runTogether(jobs, failed)) ?? (await this.runIsolated(jobs, failed));
    } catch (error) {
      for (const job of jobs) if (!failed.some((f) => f.job === job)) job.reject(options.faults.refusal(error));
      return;
    } finally {
      options.metrics.dbTransactions.observe((performance.now() - started) / 1000);
      for (const { job, error } of failed) job.reject(options.faults.refusal(error));
    }
    if (done.length) options.faults.wrote();
    options.afterCommit(done.flatMap((d) => d.events));
    for (const { job, result } of done) job.resolve(result);
  }

  /** A statement bracketing a job (its savepoint), on the connection the transaction holds. */
  private async runStatement(trx: Db, statement: string): Promise<void> {
    if (this.options.sqlite) this.options.sqlite.run(statement);
    else await sql.raw(statement).execute(trx);
  }

  /** Every job in its own savepoint: one that fails is rolled back alone and the others still commit. */
  private async runIsolated(jobs: Job[], failed: Failed[]): Promise<Done[]> {
    const done: Done[] = [];
    await this.options.transaction(async (trx) => {
      await this.lockEventLog(trx);
      const tx: JobTx = { db: trx, writer: this.options.sqlite ?? trx, pipeline: null };
      for (const job of jobs) {
        const events: LoggedEvent[] = [];
        // Savepoints as plain statements: kysely-bun-sqlite has no savepoint API, and the transaction holds its
        // only connection (on PostgreSQL, its reserved one), so these statements land inside it.
        await this.runStatement(trx, "SAVEPOINT job");
        try {
          const result = await job.work(tx, (event) => appendEvent(tx.writer, event, events));
          await this.runStatement(trx, "RELEASE SAVEPOINT job");
          done.push({ job, result, events });
        } catch (error) {
          // The whole batch fails: SQLite may have rolled it back already, savepoint and all; a lost connection took it along.
          if (isOutOfSpace(error) || isDatabaseUnreachable(error)) throw error;
          await this.runStatement(trx, "ROLLBACK TO SAVEPOINT job");
          await this.runStatement(trx, "RELEASE SAVEPOINT job");
          failed.push({ job, error });
        }
      }
    });
    return done;
  }

  /**
   * First all jobs together with no savepoints: most batches succeed so, at no cost per job (on SQLite a savepoint and
   * its release are two statements a job; on PostgreSQL, where every statement is a round trip, the message and event
   * inserts are held and sent together too, see Pipeline, so a batch costs two round trips instead of a few per job). If
   * any job fails, everything is rolled back and the batch runs again isolated (null); a batch of one needs no second
   * run: its failure is its own.
   */
  private async runTogether(jobs: Job[], failed: Failed[]): Promise<Done[] | null> {
    const { sqlite } = this.options;
    const done: Done[] = [];
    let failing: Job | null = null;
    const deferred: Promise<unknown>[] = [];
    try {
      await this.options.transaction(async (trx, hooks) => {
        const messageRows: Insertable<MessageTable>[] = [];
        const pendingEvents: PendingEvent[] = [];
        // The rows held back go out in one statement per table, as text, with the statements `send` sends them with.
        const sendHeld = (send: PipelineHooks["sendText"]) => {
          const statements: string[] = [];
          if (messageRows.length) statements.push(insertRowsText("messages", messageRows.splice(0)));
          const events = pendingEvents.length ? appendEventsText(pendingEvents.splice(0)) : null;
          if (events) statements.push(events.statement);
          if (!statements.length) return;
          const sent = send(statements).then((answers) => events?.log(answers.at(-1)!));
          sent.catch(() => undefined); // awaited after the commit, with the others
          deferred.push(sent);
        };
        const hold = () => hooks?.beforeNextQuery(() => sendHeld(hooks.sendText));
        let tx: JobTx;
        if (sqlite || !hooks) tx = { db: trx, writer: sqlite ?? trx, pipeline: null };
        else {
          // The lock and the batch's message ids go out with BEGIN, in one round trip.
          const wanted = jobs.reduce((sum, job) => sum + job.messages, 0);
          const [, taken] = await hooks.sendText([`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`, ...(wanted ? [messageIdsText(wanted)] : [])]);
          const ids = (taken ?? []).map((row) => row.id as number);
          tx = {
            db: trx,
            writer: trx,
            pipeline: {
              nextMessageId: async () => ids.shift() ?? (await messageIdsAhead(trx, 1)).rows[0]!.id,
              insertLater: (_table, row) => {
                messageRows.push(row);
                hold();
              },
            },
          };
        }
        for (const job of jobs) {
          const events: LoggedEvent[] = [];
          failing = job;
          const result = await job.work(tx, (event) => {
            if (!tx.pipeline) return appendEvent(tx.writer, event, events);
            pendingEvents.push({ event, into: events, createdAt: Date.now() });
            hold();
            return Promise.resolve();
          });
          done.push({ job, result, events });
        }
        failing = null;
        if (hooks) sendHeld(hooks.sendWithCommit);
      });
      await Promise.all(deferred);
      return done;
    } catch (error) {
      if (sqlite && isOutOfSpace(error)) throw error; // the whole batch fails (SQLite rolled it back itself)
      if (jobs.length > 1) return null;
      if (failing) failed.push({ job: failing, error });
      else throw error;
      return [];
    }
  }

  /** On PostgreSQL, the lock that makes seq order commit order (see EVENT_LOG_LOCK); held until the commit. */
  private async lockEventLog(trx: Db): Promise<void> {
    if (!this.options.sqlite) await sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`.execute(trx);
  }
}

interface Done {
  job: Job;
  result: unknown;
  events: LoggedEvent[];
}

interface Failed {
  job: Job;
  error: unknown;
}
