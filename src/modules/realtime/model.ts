// The frames of /ws and /ws/chat/{id}/: what the gateway checks client operations against, and what
// docs/asyncapi.ts publishes as the AsyncAPI document (and the tests check every received frame against).
import { Type } from "@sinclair/typebox";
import { t, type TSchema } from "elysia";
import { ERROR_CODES } from "../../lib/errors";
import { conversationUpdatedEvent, memberJoinedEvent, memberLeftEvent, memberUpdatedEvent, ReadState, readBody, readEvent } from "../conversations/model";
import { editBody, Message, messageDeletedEvent, messagesExpiredEvent, messageUpdatedEvent, pinEvent, reactionEvent, sendBody } from "../messages/model";
import type { EventType } from "../../core/event-types";
import { webhookDisabledEvent } from "../webhooks/model";

const seq = (description: string) => t.Integer({ minimum: 0, description });
const ref = t.Union([t.String(), t.Number()], { description: "Any string or number the client chose; the answer (ack, pong, error) carries it back." });
// TypeBox's own Integer, not Elysia's: that one lets "5" through (for query strings), and a socket frame is JSON.
const id = (error: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error });
const jsonInteger = ({ minimum, maximum, error }: TSchema) => Type.Integer({ minimum, maximum, error });

/** The `data` of each logged event, delivered as `{type, conversation_id, seq, data}` and replayed after `since`. */
export const eventData = {
  "message.created": Message,
  "message.updated": messageUpdatedEvent,
  "message.deleted": messageDeletedEvent,
  "messages.expired": messagesExpiredEvent,
  "message.pinned": pinEvent,
  "message.unpinned": pinEvent,
  "reaction.added": reactionEvent,
  "reaction.removed": reactionEvent,
  "member.joined": memberJoinedEvent,
  "member.left": memberLeftEvent,
  "member.updated": memberUpdatedEvent,
  "conversation.updated": conversationUpdatedEvent,
  read: readEvent,
  unread: ReadState,
  mute: ReadState,
  "webhook.disabled": webhookDisabledEvent,
} satisfies Record<EventType, TSchema>;

export const eventFrame = <T extends TSchema>(type: EventType, data: T) =>
  t.Object({ type: t.Literal(type), conversation_id: t.Integer(), seq: seq("The event's place in the log: resume after it with `since`."), data });

export const helloFrame = t.Object({
  type: t.Literal("hello"),
  data: t.Object({
    user: t.Object({ id: t.Integer(), username: t.String(), is_bot: t.Boolean({ description: "A bot account (its API token's socket)." }) }),
    conversations: t.Array(t.Integer(), { description: "The conversations this socket hears, by id." }),
    seq: seq("Everything up to this seq was replayed (with `since`) or is history: events after it follow live."),
  }),
});
export const resyncFrame = t.Object({
  type: t.Literal("resync"),
  data: t.Object({ reason: t.String(), seq: seq("Refetch over REST, then resume after this seq.") }),
});
export const pongFrame = t.Object({ type: t.Literal("pong"), ref: t.Optional(ref), data: t.Object({ time: t.String({ format: "date-time" }) }) });
export const sendAckFrame = t.Object(
  { type: t.Literal("ack"), ref: t.Optional(ref), data: Message },
  { description: "The answer to message.send: the stored message." },
);
export const readAckFrame = t.Object({ type: t.Literal("ack"), ref, data: ReadState }, { description: "The answer to a read with a ref: the new read state." });
export const socketErrorCode = t.Union([...ERROR_CODES, "invalid_json"].map((code) => t.Literal(code)));
export const errorFrame = t.Object({
  type: t.Literal("error"),
  ref: t.Optional(ref),
  data: t.Object({
    code: socketErrorCode,
    message: t.String(),
    ref: t.Optional(ref),
    retry_after: t.Optional(t.Integer({ description: "rate_limited, database_unavailable: whole seconds to wait (as Retry-After)." })),
    retry_after_ms: t.Optional(t.Integer({ description: "rate_limited, database_unavailable: milliseconds to wait." })),
  }),
});
export const presenceFrame = t.Object({
  type: t.Literal("presence"),
  data: t.Object({ user_id: t.Integer(), status: t.Union([t.Literal("online"), t.Literal("offline")]) }),
});
export const typingFrame = t.Object({
  type: t.Literal("typing"),
  conversation_id: t.Integer(),
  data: t.Object({ user_id: t.Integer(), username: t.String() }),
});

/** What a client may send on /ws, by type: the gateway checks each operation against its schema before acting. */
export const clientOperations = {
  ping: t.Object({ type: t.Literal("ping"), ref: t.Optional(ref) }, { description: "Answered with pong." }),
  "message.send": t.Object(
    {
      type: t.Literal("message.send"),
      ref: t.Optional(ref),
      conversation_id: id("Give a conversation id."),
      // The REST twin's fields (POST .../send/), so both answer the same field errors.
      message: editBody.properties.message,
      client_id: sendBody.properties.client_id,
      reply_to: t.Optional(t.Nullable(id("Give the id of the message this one answers."))),
    },
    { description: "Stores a message (as POST /api/messages/conversations/{id}/): answered with ack carrying it; a repeated client_id answers the first one." },
  ),
  typing: t.Object(
    { type: t.Literal("typing"), ref: t.Optional(ref), conversation_id: id("Give a conversation id.") },
    { description: "The other members hear typing (at most one every 2 s per conversation); no answer." },
  ),
  read: t.Object(
    { type: t.Literal("read"), ref: t.Optional(ref), conversation_id: id("Give a conversation id."), message_id: jsonInteger(readBody.properties.message_id) },
    { description: "Moves the read marker forward; with a ref, answered with ack carrying the read state." },
  ),
  sync: t.Object(
    {
      type: t.Literal("sync"),
      ref: t.Optional(ref),
      since: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, error: "Give the last seq you saw." }),
    },
    { description: "Replays the events after `since` up to the hello's seq (or answers resync)." },
  ),
};
export type ClientOperation = { [K in keyof typeof clientOperations]: (typeof clientOperations)[K]["static"] }[keyof typeof clientOperations];

/** The original's endpoint, /ws/chat/{id}/: one conversation, in the original's format. */
export const legacySend = t.Object({ message: t.String() });
export const legacyMessageFrame = t.Object({ message: t.String(), sender: t.String({ description: "The sender's username." }) });
export const legacyErrorFrame = t.Object({
  error: t.String(),
  code: socketErrorCode,
  retry_after: t.Optional(t.Integer()),
  retry_after_ms: t.Optional(t.Integer()),
});
