// The durable event log and the one way anything reaches sockets: a service emits events inside its
// transaction; they are appended to `events` there, and published (in seq order) only after the commit.
import type { Db } from "../../db";
import type { AppContext } from "../../context";

export type EventType =
  | "message.created"
  | "member.joined"
  | "member.left"
  | "read";

export interface ChatEvent {
  type: EventType;
  conversation_id: number;
  /** Also deliver to this user even when not a member (the user who left). */
  user_id?: number | null;
  data: unknown;
}

/** An event as committed: its seq and the wire frame, serialized once for every recipient. */
export interface LoggedEvent {
  seq: number;
  type: EventType;
  conversation_id: number;
  user_id: number | null;
  frame: string;
  /** The event's data, for the few consumers that need more than the frame (the original's endpoint). */
  data: unknown;
}

export type Emit = (event: ChatEvent) => Promise<void>;

export function eventFrame(type: string, conversationId: number, seq: number, dataJson: string): string {
  return `{"type":${JSON.stringify(type)},"conversation_id":${conversationId},"seq":${seq},"data":${dataJson}}`;
}

/** Runs `work` in one transaction; the events it emits are logged in that transaction and published after commit. */
export async function commitWithEvents<T>(ctx: AppContext, work: (trx: Db, emit: Emit) => Promise<T>): Promise<T> {
  const logged: LoggedEvent[] = [];
  const result = await ctx.db.transaction().execute((trx) =>
    work(trx, async (event) => {
      const dataJson = JSON.stringify(event.data);
      const { seq } = await trx
        .insertInto("events")
        .values({ conversation_id: event.conversation_id, user_id: event.user_id ?? null, type: event.type, data: dataJson, created_at: Date.now() })
        .returning("seq")
        .executeTakeFirstOrThrow();
      logged.push({ seq, type: event.type, conversation_id: event.conversation_id, user_id: event.user_id ?? null, data: event.data, frame: eventFrame(event.type, event.conversation_id, seq, dataJson) });
    }),
  );
  for (const event of logged) ctx.hub.publish(event);
  return result;
}
