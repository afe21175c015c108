// The durable event log and the one way anything reaches sockets: a service emits events inside its
// transaction; they are appended to `events` there, and published (in seq order) only after the commit.
import { sql } from "kysely";
import type { Db } from "../../db";
import { prepared, sqlBuilder, type Connection } from "../../db/prepared";
import type { AppContext } from "../../context";

export type EventType =
  | "message.created"
  | "message.updated"
  | "message.deleted"
  | "messages.expired"
  | "message.pinned"
  | "message.unpinned"
  | "reaction.added"
  | "reaction.removed"
  | "member.joined"
  | "member.left"
  | "member.updated"
  | "conversation.updated"
  | "read"
  | "unread"
  | "mute";

export interface ChatEvent {
  type: EventType;
  conversation_id: number;
  /** Also deliver to this user even when not a member (the user who left). */
  user_id?: number | null;
  /** Deliver to user_id alone (their own unread counts, their mute), never to the other members. */
  private?: boolean;
  /** The message whose content `data` carries: deleting the message scrubs it from the log. */
  message_id?: number;
  data: unknown;
}

/** An event as committed: its seq and the wire frame, serialized once for every recipient. */
export interface LoggedEvent {
  seq: number;
  type: EventType;
  conversation_id: number;
  user_id: number | null;
  private: boolean;
  frame: string;
  /** The event's data, for the few consumers that need more than the frame (the original's endpoint). */
  data: unknown;
}

export type Emit = (event: ChatEvent) => Promise<void>;

export function eventFrame(type: string, conversationId: number, seq: number, dataJson: string): string {
  return `{"type":${JSON.stringify(type)},"conversation_id":${conversationId},"seq":${seq},"data":${dataJson}}`;
}

/**
 * Runs `work` in a transaction; the events it emits are logged in that transaction and published after the
 * commit, and the promise settles only then. Works that arrive in the same event-loop turn share one
 * transaction (group commit: one fsync for many under PARLEY_DURABILITY=full), so one that fails is rolled back
 * alone and the others still commit. `work` may run twice (on PostgreSQL a batch in which one failed runs again,
 * each in a savepoint): it must change nothing but the database, through `trx` and `emit`; anything else it did
 * goes in its result, acted on after the commit.
 */
export function commitWithEvents<T>(ctx: AppContext, work: (trx: Db, emit: Emit) => Promise<T>, expected: { messages?: number } = {}): Promise<T> {
  return committerOf(ctx).enqueue(work, expected.messages ?? 0);
}

/**
 * The fastest handle on a group commit's transaction for prepared statements: on SQLite the raw writer connection
 * (the transaction holds it, so its statements land inside; no trip through Kysely's driver), else the transaction.
 */
export const writerIn = (ctx: AppContext, trx: Db): Connection => ctx.sqlite ?? trx;

/**
 * On PostgreSQL, while a batch runs without savepoints (see runTogether): message ids taken ahead for the batch in
 * one round trip, and inserts whose answers nobody waits for — sent at once, pipelined behind the statements before
 * them, awaited all together before the commit. A send then costs no round trip of its own.
 */
export interface Pipeline {
  nextMessageId(): Promise<number>;
  defer(query: Promise<unknown>): void;
}

const pipelines = new WeakMap<Db, Pipeline>();

/** The batch's pipeline when `trx` is a PostgreSQL batch running without savepoints; null otherwise. */
export const pipelineOf = (trx: Db): Pipeline | null => pipelines.get(trx) ?? null;

const messageIdsAhead = (trx: Db, count: number) =>
  sql<{ id: number }>`select nextval(pg_get_serial_sequence('messages', 'id')) as id from generate_series(1, ${count}::int)`.execute(trx);

/**
 * Taken by every transaction that appends events, on PostgreSQL: seqs come from a sequence, handed out in the order
 * inserts run, not the order transactions commit; two nodes committing at once could make seq 8 visible before
 * seq 7, and a reader past 8 would never see 7. Holding this lock until commit makes seq order commit order.
 * (SQLite has one writer at a time already.) One lock per group commit, so its cost is shared by the batch.
 */
const EVENT_LOG_LOCK = 0x7061726c; // "parl"

/** Statements that bracket each job of a group commit, on the connection its transaction holds. */
async function onTransaction(ctx: AppContext, trx: Db, statement: string): Promise<void> {
  if (ctx.sqlite) ctx.sqlite.run(statement);
  else await sql.raw(statement).execute(trx);
}

interface Job {
  work: (trx: Db, emit: Emit) => Promise<unknown>;
  /** How many messages the work inserts (a send: one): ids taken ahead for it on PostgreSQL (see Pipeline). */
  messages: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const committers = new WeakMap<AppContext, GroupCommitter>();
const committerOf = (ctx: AppContext) => committers.get(ctx) ?? committers.set(ctx, new GroupCommitter(ctx)).get(ctx)!;

class GroupCommitter {
  private queue: Job[] = [];
  private flushing = false;

  constructor(private readonly ctx: AppContext) {}

  enqueue<T>(work: (trx: Db, emit: Emit) => Promise<T>, messages: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, messages, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush() {
    while (this.queue.length) {
      const jobs = this.queue.splice(0, 1000);
      await this.commit(jobs);
    }
    this.flushing = false;
  }

  private async commit(jobs: Job[]) {
    const { ctx } = this;
    // Failures are reported after the batch settles, so a caller that reacts by reading (e.g. a duplicate
    // client_id looking up the first message) sees what the batch committed.
    const failed: Failed[] = [];
    const started = performance.now();
    let done: Done[];
    try {
      done = (!ctx.sqlite && (await this.runTogether(jobs, failed))) || (await this.runIsolated(jobs, failed));
    } catch (error) {
      for (const job of jobs) if (!failed.some((f) => f.job === job)) job.reject(error);
      return;
    } finally {
      ctx.metrics.dbTransactions.observe((performance.now() - started) / 1000);
      for (const { job, error } of failed) job.reject(error);
    }
    for (const { job, result, events } of done) {
      for (const event of events) ctx.hub.publish(event);
      job.resolve(result);
    }
    ctx.transport?.send(done.flatMap((d) => d.events)); // the other nodes, when there are any
  }

  /** Every job in its own savepoint: one that fails is rolled back alone and the others still commit. */
  private async runIsolated(jobs: Job[], failed: Failed[]): Promise<Done[]> {
    const { ctx } = this;
    const done: Done[] = [];
    await ctx.transaction(async (trx) => {
      await lockEventLog(ctx, trx);
      const writer = writerIn(ctx, trx);
      for (const job of jobs) {
        const events: LoggedEvent[] = [];
        // Savepoints as plain statements: kysely-bun-sqlite has no savepoint API, and the transaction holds its
        // only connection (on PostgreSQL, its reserved one), so these statements land inside it.
        await onTransaction(ctx, trx, "SAVEPOINT job");
        try {
          const result = await job.work(trx, (event) => appendEvent(writer, event, events));
          await onTransaction(ctx, trx, "RELEASE SAVEPOINT job");
          done.push({ job, result, events });
        } catch (error) {
          await onTransaction(ctx, trx, "ROLLBACK TO SAVEPOINT job");
          await onTransaction(ctx, trx, "RELEASE SAVEPOINT job");
          failed.push({ job, error });
        }
      }
    });
    return done;
  }

  /**
   * PostgreSQL, where every statement is a round trip: first all jobs together with no savepoints, their message and
   * event inserts pipelined (see Pipeline): nothing waits for them until the end. Most batches succeed so, in a few
   * round trips for the whole batch instead of four or five per job. If any job fails, everything is rolled back and
   * the batch runs again isolated (null); a batch of one needs no second run: its failure is its own.
   */
  private async runTogether(jobs: Job[], failed: Failed[]): Promise<Done[] | null> {
    const { ctx } = this;
    const done: Done[] = [];
    let failing: Job | null = null;
    try {
      await ctx.transaction(async (trx) => {
        const locked = lockEventLog(ctx, trx);
        const wanted = jobs.reduce((sum, job) => sum + job.messages, 0);
        const idsAhead = wanted ? messageIdsAhead(trx, wanted) : null;
        await locked;
        const ids = idsAhead ? (await idsAhead).rows.map((row) => row.id) : [];
        const deferred: Promise<unknown>[] = [];
        const defer = (query: Promise<unknown>) => {
          query.catch(() => undefined); // awaited below, with the others
          deferred.push(query);
        };
        pipelines.set(trx, {
          nextMessageId: async () => ids.shift() ?? (await messageIdsAhead(trx, 1)).rows[0]!.id,
          defer,
        });
        for (const job of jobs) {
          const events: LoggedEvent[] = [];
          failing = job;
          const result = await job.work(trx, async (event) => defer(appendEvent(trx, event, events)));
          done.push({ job, result, events });
        }
        failing = null;
        await Promise.all(deferred);
      });
      return done;
    } catch (error) {
      if (jobs.length > 1) return null;
      if (failing) failed.push({ job: failing, error });
      else throw error;
      return [];
    }
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

/** On PostgreSQL, the lock that makes seq order commit order (see EVENT_LOG_LOCK); held until the commit. */
async function lockEventLog(ctx: AppContext, trx: Db): Promise<void> {
  if (!ctx.sqlite) await sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`.execute(trx);
}

const insertEvent = prepared((conversationId: number, userId: number | null, type: string, data: string, createdAt: number, isPrivate: number, messageId: number | null) =>
  sqlBuilder
    .insertInto("events")
    .values({ conversation_id: conversationId, user_id: userId, type, data, created_at: createdAt, private: isPrivate, message_id: messageId })
    .returning("seq"),
);

/** Appends inside the group commit's transaction. */
async function appendEvent(writer: Connection, event: ChatEvent, into: LoggedEvent[], createdAt = Date.now()): Promise<void> {
  const dataJson = JSON.stringify(event.data);
  const isPrivate = event.private === true && event.user_id != null;
  const [{ seq }] = (await insertEvent.run(writer, event.conversation_id, event.user_id ?? null, event.type, dataJson, createdAt, isPrivate ? 1 : 0, event.message_id ?? null)) as [
    { seq: number },
  ];
  into.push({
    seq,
    type: event.type,
    conversation_id: event.conversation_id,
    user_id: event.user_id ?? null,
    private: isPrivate,
    data: event.data,
    frame: eventFrame(event.type, event.conversation_id, seq, dataJson),
  });
}

/** Appends an event to the log without publishing it: for bulk writes nobody can be listening to yet (the import). */
export async function appendUnpublished(writer: Connection, event: ChatEvent, createdAt = Date.now()): Promise<number> {
  const logged: LoggedEvent[] = [];
  await appendEvent(writer, event, logged, createdAt);
  return logged[0]!.seq;
}

const loggedAfter = prepared((after: number, before: number, limit: number) =>
  sqlBuilder
    .selectFrom("events")
    .select(["seq", "type", "conversation_id", "user_id", "private", "data"])
    .where("seq", ">", after)
    .where("seq", "<", before)
    .orderBy("seq")
    .limit(limit),
);

/** Committed events with after < seq < before, in seq order, as the publisher made them (frames included). */
export async function readLoggedEvents(reader: Connection, after: number, before: number, limit = 10_000): Promise<LoggedEvent[]> {
  const rows = await loggedAfter.run(reader, after, before, limit);
  return rows.map((row) => ({
    seq: row.seq,
    type: row.type as EventType,
    conversation_id: row.conversation_id,
    user_id: row.user_id,
    private: row.private === 1,
    data: JSON.parse(row.data),
    frame: eventFrame(row.type, row.conversation_id, row.seq, row.data),
  }));
}
