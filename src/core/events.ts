// The durable event log: events are appended inside the transaction that made them (see commit.ts), read back by
// seq for sockets that resume or nodes that missed an announcement, and scrubbed when the content they carry goes.
import type { Db } from "../db";
import { insertRowsText } from "../db/postgres-dialect";
import { prepared, selectRows, sqlBuilder, type Connection } from "../db/prepared";
import type { EventType } from "./event-types";

export type { EventType };

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
  /** `data` already serialized, when the caller needs the text too (a send's ack): serialized once. */
  dataJson?: string;
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

export function eventFrame(type: string, conversationId: number, seq: number, dataJson: string): string {
  return `{"type":${JSON.stringify(type)},"conversation_id":${conversationId},"seq":${seq},"data":${dataJson}}`;
}

const insertEvent = prepared(
  (conversationId: number, userId: number | null, type: string, data: string, createdAt: number, isPrivate: number, messageId: number | null) =>
    sqlBuilder
      .insertInto("events")
      .values({ conversation_id: conversationId, user_id: userId, type, data, created_at: createdAt, private: isPrivate, message_id: messageId })
      .returning("seq"),
);

const isPrivateEvent = (event: ChatEvent) => event.private === true && event.user_id != null;

/** The event as committed, once its seq is known. */
function loggedEvent(event: ChatEvent, seq: number, dataJson: string): LoggedEvent {
  return {
    seq,
    type: event.type,
    conversation_id: event.conversation_id,
    user_id: event.user_id ?? null,
    private: isPrivateEvent(event),
    data: event.data,
    frame: eventFrame(event.type, event.conversation_id, seq, dataJson),
  };
}

/** Appends inside the group commit's transaction. */
export async function appendEvent(writer: Connection, event: ChatEvent, into: LoggedEvent[], createdAt = Date.now()): Promise<void> {
  const dataJson = event.dataJson ?? JSON.stringify(event.data);
  const [{ seq }] = (await insertEvent.run(
    writer,
    event.conversation_id,
    event.user_id ?? null,
    event.type,
    dataJson,
    createdAt,
    isPrivateEvent(event) ? 1 : 0,
    event.message_id ?? null,
  )) as [{ seq: number }];
  into.push(loggedEvent(event, seq, dataJson));
}

/** An event a PostgreSQL batch holds back, to insert with the batch's others (appendEventsText). */
export interface PendingEvent {
  event: ChatEvent;
  /** The job's list of committed events, which it joins once its seq is known. */
  into: LoggedEvent[];
  createdAt: number;
}

/**
 * Appends many events in one statement, as text for a PostgreSQL batch's pipeline (see commit.ts), and `log` adds each
 * to its job's list once the statement's answer (the seqs) is in. The sequence numbers the rows in the order given
 * while the batch holds the event-log lock, so the returned seqs, sorted, are the rows' in order.
 */
export function appendEventsText(pending: PendingEvent[]): { statement: string; log(rows: Record<string, unknown>[]): void } {
  const dataJson = pending.map(({ event }) => event.dataJson ?? JSON.stringify(event.data));
  const rows = pending.map(({ event, createdAt }, i) => ({
    conversation_id: event.conversation_id,
    user_id: event.user_id ?? null,
    type: event.type,
    data: dataJson[i]!,
    created_at: createdAt,
    private: isPrivateEvent(event) ? 1 : 0,
    message_id: event.message_id ?? null,
  }));
  return {
    statement: insertRowsText("events", rows, "seq"),
    log(answer) {
      const seqs = answer.map((row) => row.seq as number).sort((a, b) => a - b);
      pending.forEach(({ event, into }, i) => {
        into.push(loggedEvent(event, seqs[i]!, dataJson[i]!));
      });
    },
  };
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

/** The newest seq in the log (0 when empty): where publishing resumes at start-up. */
export async function newestSeq(reader: Connection): Promise<number> {
  const [newest] = await selectRows(
    reader,
    sqlBuilder.selectFrom("events").select((eb) => eb.fn.max("seq").as("seq")),
  );
  return Number(newest?.seq ?? 0);
}

/**
 * Rewrites what the logged message.created and message.updated events of these messages say with `fields` (what
 * they say now), inside the transaction that changed them: a client resuming from an old seq replays the log, and
 * must not get text that was deleted or edited out.
 */
export async function scrubLoggedContent(trx: Db, messageIds: number[], fields: Record<string, unknown>): Promise<void> {
  const logged = await trx
    .selectFrom("events")
    .select(["seq", "data"])
    .where("message_id", "in", messageIds)
    .where("type", "in", ["message.created", "message.updated"])
    .execute();
  for (const event of logged) {
    const scrubbed = { ...JSON.parse(event.data), ...fields };
    await trx
      .updateTable("events")
      .set({ data: JSON.stringify(scrubbed) })
      .where("seq", "=", event.seq)
      .execute();
  }
}

/** Drops a message's logged message.updated events: the next edit's event supersedes them. */
export async function dropLoggedEdits(trx: Db, messageId: number): Promise<void> {
  await trx.deleteFrom("events").where("message_id", "=", messageId).where("type", "=", "message.updated").execute();
}

/** Deletes up to `limit` of a conversation's oldest events logged before `cutoff` (retention); returns how many. */
export async function deleteLoggedBefore(trx: Db, conversationId: number, cutoff: number, limit: number): Promise<number> {
  const result = await trx
    .deleteFrom("events")
    .where("conversation_id", "=", conversationId)
    .where("seq", "in", (eb) =>
      eb.selectFrom("events").select("seq").where("conversation_id", "=", conversationId).where("created_at", "<", cutoff).orderBy("seq").limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

const oldestSeq = prepared(() => sqlBuilder.selectFrom("events").select((eb) => eb.fn.min<number>("seq").as("seq")));
const missedEvents = prepared((userId: number, since: number, upTo: number, limit: number) =>
  sqlBuilder
    .selectFrom("events")
    .select(["seq", "type", "conversation_id", "data"])
    .where("seq", ">", since)
    .where("seq", "<=", upTo)
    .where((eb) =>
      eb.or([
        eb.and([
          eb("private", "=", 0),
          eb("conversation_id", "in", eb.selectFrom("conversation_members").select("conversation_id").where("user_id", "=", userId)),
        ]),
        eb("user_id", "=", userId),
      ]),
    )
    .orderBy("seq")
    .limit(limit),
);

/** The oldest seq the log still holds; undefined when it is empty. */
export async function oldestLoggedSeq(reader: Connection): Promise<number | undefined> {
  return (await oldestSeq.run(reader))[0]?.seq ?? undefined;
}

/** The events `userId` may see (their conversations' public ones, their own private ones) with since < seq <= upTo. */
export async function readLoggedFor(reader: Connection, userId: number, since: number, upTo: number, limit: number) {
  return missedEvents.run(reader, userId, since, upTo, limit);
}
