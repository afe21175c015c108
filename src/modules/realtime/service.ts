// What the gateway does for a connected user: the hello, replays from the log, presence, and client operations.
import type { AppContext } from "../../context";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { TSchema } from "elysia";
import { AppError } from "../../lib/errors";
import { fieldsInOneLine, validated, wireError } from "../../lib/http";
import type { AuthUser } from "../auth/service";
import { tokenFamily } from "../auth/tokens";
import { requireScope, scopeForOperation } from "../auth/scopes";
import { markRead } from "../conversations/read-state";
import { listMemberConversationIds, presenceContacts } from "../conversations/repository";
import { sendMessage } from "../messages/service";
import { eventFrame, oldestLoggedSeq, readLoggedFor, type LoggedEvent } from "../../core/events";
import type { Socket, SocketState } from "./hub";
import * as model from "./model";
import { localPresence } from "./presence";
import { conversationTopic } from "./topics";

/** A replay longer than this answers `resync` (refetch over REST) instead of streaming the whole backlog. */
export const MAX_REPLAY = 10_000;
const TYPING_INTERVAL_MS = 2_000;
/** Per-socket flood control: a burst of 100 operations, then 20 per second. */
const BUCKET_SIZE = 100;
const REFILL_PER_SECOND = 20;

async function memberConversationIds(ctx: AppContext, userId: number): Promise<number[]> {
  return listMemberConversationIds(ctx.reader, userId);
}

/** Users who see `userId`'s presence, themself included where they qualify (the rule: presenceContacts). */
async function contactsOf(ctx: AppContext, userId: number): Promise<number[]> {
  return (await presenceContacts.run(ctx.reader, userId)).map((r) => r.user_id);
}

/**
 * Subscribes a new socket and replays what it missed (`since` null: a fresh connection, no replay). Reading the log
 * takes a while (on PostgreSQL always a round trip) and events are published meanwhile; those the hub still holds
 * in memory are added to the replay (and membership changes among them to the subscriptions), so that in one
 * synchronous step it subscribes, says hello and sends the replay: the client sees every event once — replayed up
 * to the hello's seq, live after it. Returns whether it is the user's first socket here, or null if it closed meanwhile.
 */
export async function connect(ctx: AppContext, socket: Socket, since: number | null): Promise<{ first: boolean } | null> {
  const { user } = socket.data;
  let conversations: Set<number>;
  let meanwhile: LoggedEvent[] | null;
  let from = since;
  const missed: string[] = [];
  let resync: string | null = null;
  // A seq from another node may be ahead of what this one has published yet: take what the log has first.
  if (since !== null && since > ctx.hub.lastPublished) await ctx.hub.catchUp().catch(() => 0);
  do {
    const upTo = ctx.hub.lastPublished;
    const [ids, page]: [number[], Awaited<ReturnType<typeof readMissed>> | null] = await Promise.all([
      memberConversationIds(ctx, user.id),
      from === null || resync ? null : readMissed(ctx, user.id, from, upTo, MAX_REPLAY - missed.length),
    ]);
    conversations = new Set(ids);
    if (page && "resync" in page) resync = page.resync;
    else if (page) missed.push(...page.frames);
    if (from !== null) from = upTo;
    meanwhile = ctx.hub.publishedAfter(upTo); // null: too much went by, read the log again
  } while (meanwhile === null);
  // As the hub delivers them (hub.ts deliver): a join subscribes before its event, a leave unsubscribes after it.
  for (const event of meanwhile) {
    const mine = event.user_id === user.id;
    if (event.type === "member.joined" && mine) conversations.add(event.conversation_id);
    if (since !== null && (event.private ? mine : mine || conversations.has(event.conversation_id))) missed.push(event.frame);
    if (event.type === "member.left" && mine) conversations.delete(event.conversation_id);
  }
  if (missed.length > MAX_REPLAY) resync ??= "Too many events missed; refetch over REST.";
  if (socket.readyState !== 1) return null;
  const upTo = ctx.hub.lastPublished;
  socket.data.subscribedAt = upTo;
  const first = ctx.hub.add(socket);
  const subscribed = [...conversations].sort((a, b) => a - b);
  for (const id of subscribed) socket.subscribe(conversationTopic(id));
  socket.send(
    JSON.stringify({
      type: "hello",
      data: { user: { id: user.id, username: user.username, is_bot: user.is_bot }, conversations: subscribed, seq: upTo },
    } satisfies typeof model.helloFrame.static),
  );
  if (resync) socket.send(resyncFrame(resync, upTo));
  else
    socket.cork(() => {
      for (const frame of missed) socket.send(frame);
    });
  return { first };
}

const resyncFrame = (reason: string, seq: number) => JSON.stringify({ type: "resync", data: { reason, seq } } satisfies typeof model.resyncFrame.static);

/** Sends the logged events after `since` (up to `upTo`) in the user's conversations, or `resync` if the log can't. */
export async function replay(ctx: AppContext, socket: Socket, userId: number, since: number, upTo: number) {
  const page = await readMissed(ctx, userId, since, upTo, MAX_REPLAY);
  if ("resync" in page) socket.send(resyncFrame(page.resync, upTo));
  else
    socket.cork(() => {
      for (const frame of page.frames) socket.send(frame);
    });
}

/** The frames of the user's events with since < seq <= upTo, or why the client must refetch over REST instead. */
async function readMissed(ctx: AppContext, userId: number, since: number, upTo: number, limit: number): Promise<{ frames: string[] } | { resync: string }> {
  if (since > upTo) return { resync: "Unknown seq." };
  if (since === upTo) return { frames: [] };
  const oldest = await oldestLoggedSeq(ctx.reader);
  // The log has been trimmed past `since`, or `since` is from another database: the client must refetch.
  if (since < (oldest ?? upTo + 1) - 1) return { resync: "The event log no longer reaches back that far." };
  const rows = await readLoggedFor(ctx.reader, userId, since, upTo, limit + 1);
  if (rows.length > limit) return { resync: "Too many events missed; refetch over REST." };
  return { frames: rows.map((row) => eventFrame(row.type, row.conversation_id, row.seq, row.data)) };
}

/** A socket's state before it is registered (subscribedAt is set then). */
export function newSocketState(user: AuthUser, legacyConversation: number | null): SocketState {
  return {
    user,
    family: tokenFamily(user.token),
    subscribedAt: 0,
    legacyConversation,
    floodBucket: BUCKET_SIZE,
    refilledAt: Date.now(),
    typingAt: null,
  };
}

/** Takes one token from the socket's bucket; false when it is flooding. */
export function allowOperation(state: SocketState, now = Date.now()): boolean {
  state.floodBucket = Math.min(BUCKET_SIZE, state.floodBucket + ((now - state.refilledAt) / 1000) * REFILL_PER_SECOND);
  state.refilledAt = now;
  if (state.floodBucket < 1) return false;
  state.floodBucket -= 1;
  return true;
}

function presenceFrame(userId: number, status: "online" | "offline") {
  return JSON.stringify({ type: "presence", data: { user_id: userId, status } } satisfies typeof model.presenceFrame.static);
}

/** Who is online: across the cluster through Redis when there is one, else from this node's sockets. */
export const presenceIn = (ctx: AppContext) => ctx.transport?.presence ?? localPresence(ctx.hub);

/**
 * A user's first socket on this node opened (`online`) or their last one closed: their contacts hear it when it
 * changes their presence everywhere (not when another node still holds a socket of theirs). Never throws (it runs
 * unawaited, as sockets open and close): a failure is logged, a database outage only noted (logged once).
 */
export async function announcePresence(ctx: AppContext, userId: number, status: "online" | "offline") {
  try {
    const presence = presenceIn(ctx);
    const changed = status === "online" ? await presence.cameOnline(userId) : await presence.wentOffline(userId);
    if (changed)
      ctx.hub.sendToUsers(
        (await contactsOf(ctx, userId)).filter((id) => id !== userId),
        presenceFrame(userId, status),
      );
  } catch (error) {
    if (!(ctx.faults.refusal(error) instanceof AppError)) ctx.log.error("announcing presence failed", { user_id: userId, error: String(error) });
  }
}

/** The current presence of the caller's contacts among `userIds` (others are left out). */
export async function presenceOf(ctx: AppContext, user: AuthUser, userIds: number[]) {
  const visible = new Set(await contactsOf(ctx, user.id));
  visible.add(user.id);
  const shown = userIds.filter((id) => visible.has(id));
  const online = await presenceIn(ctx).onlineAmong(shown);
  return shown.map((id) => ({ user_id: id, status: online.has(id) ? ("online" as const) : ("offline" as const) }));
}

type Operation = { type?: unknown; ref?: unknown; [key: string]: unknown };

const operationChecks = new Map<string, TypeCheck<TSchema>>();

/** The operation, checked against its schema in model.ts (compiled on first use); field errors as over REST. */
function checkOperation(op: Operation): model.ClientOperation {
  const type = typeof op.type === "string" && Object.hasOwn(model.clientOperations, op.type) ? (op.type as keyof typeof model.clientOperations) : null;
  if (type === null) throw new AppError(400, "unknown_operation", `Unknown operation type: ${typeof op.type === "string" ? op.type.slice(0, 40) : "(none)"}.`);
  let check = operationChecks.get(type);
  if (!check) operationChecks.set(type, (check = TypeCompiler.Compile(model.clientOperations[type])));
  return validated(check, op) as model.ClientOperation;
}

/** `ref` sits in `data` (as the protocol says for errors) and beside `type` (as in every other answer). */
function errorFrame(code: string, message: string, ref: unknown, extra: Record<string, unknown> = {}) {
  return JSON.stringify(
    ref === undefined ? { type: "error", data: { code, message, ...extra } } : { type: "error", ref, data: { code, message, ref, ...extra } },
  );
}

/** Handles one client operation; answers with a frame on this socket (ack, pong, error) where the operation has one. */
export async function handleOperation(ctx: AppContext, socket: Socket, op: Operation): Promise<void> {
  const { data: state } = socket;
  const { user } = state;
  const ref = typeof op.ref === "string" || typeof op.ref === "number" ? op.ref : undefined;
  const reply = (frame: Record<string, unknown>) => socket.send(JSON.stringify(ref === undefined ? frame : { ...frame, ref }));
  try {
    const checked = checkOperation(op);
    requireScope(user.scopes, scopeForOperation(checked.type));
    switch (checked.type) {
      case "ping":
        return void reply({ type: "pong", data: { time: new Date().toISOString() } });
      case "message.send": {
        const { json } = await sendMessage(ctx, user, checked.conversation_id, {
          message: checked.message,
          client_id: checked.client_id,
          reply_to: checked.reply_to ?? undefined,
        });
        // As reply() would write it, around the message's JSON text made once for its event; with the batch's other acks.
        return ctx.hub.answerSoon(socket, `{"type":"ack","data":${json}${ref === undefined ? "" : `,"ref":${JSON.stringify(ref)}`}}`);
      }
      case "typing": {
        const id = checked.conversation_id;
        if (!socket.isSubscribed(conversationTopic(id))) throw new AppError(403, "forbidden", "You are not a member of this conversation.");
        const now = Date.now();
        state.typingAt ??= new Map();
        if (now - (state.typingAt.get(id) ?? 0) < TYPING_INTERVAL_MS) return; // throttled: the others already know
        state.typingAt.set(id, now);
        ctx.hub.sendTyping(
          id,
          JSON.stringify({
            type: "typing",
            conversation_id: id,
            data: { user_id: user.id, username: user.username },
          } satisfies typeof model.typingFrame.static),
          socket,
        );
        return;
      }
      case "read": {
        const readState = await markRead(ctx, user, checked.conversation_id, checked.message_id);
        if (ref !== undefined) reply({ type: "ack", data: readState });
        return;
      }
      case "sync":
        return replay(ctx, socket, user.id, checked.since, state.subscribedAt);
    }
  } catch (thrown) {
    const error = ctx.faults.refusal(thrown);
    if (!(error instanceof AppError)) {
      ctx.log.error("websocket operation failed", { type: String(op.type), error: String(error) });
      return void socket.send(errorFrame("internal", "Internal server error.", ref));
    }
    const wire = wireError(error);
    socket.send(errorFrame(wire.code, wire.fields ? fieldsInOneLine(wire.fields, true) : wire.message, ref, wire.retryAfter ?? {}));
  }
}
