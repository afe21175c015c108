import { t } from "elysia";
import { pathId } from "../../lib/schemas";

export const MAX_MESSAGE_LENGTH = 10_000;
/**
 * Form and multipart bodies carry ids as text; JSON as numbers. The service reads both and checks the range: Elysia
 * coerces a numeric form field to a bounded integer here and would refuse "-3" without naming the field.
 */
const bodyId = t.Integer({ description: "An id (1 or more)" });

export const conversationParams = t.Object({ conversation_id: pathId("A conversation id (a group's id is its conversation id)") });

export const sendBody = t.Object({
  // maxLength counts UTF-16 units; a character takes at most two. The service counts characters (code points).
  message: t.Optional(
    t.String({
      maxLength: 2 * MAX_MESSAGE_LENGTH,
      description: `The text, at most ${MAX_MESSAGE_LENGTH} characters; may be empty with a file.`,
      error: `Ensure this field has no more than ${MAX_MESSAGE_LENGTH} characters.`,
    }),
  ),
  receiver_user: t.Optional(
    t.Union([bodyId, t.String({ maxLength: 20 }), t.Null()], {
      description: "Send to the direct conversation with this user instead of the path's.",
      error: "Give a user or group id.",
    }),
  ),
  receiver_group: t.Optional(
    t.Union([bodyId, t.String({ maxLength: 20 }), t.Null()], {
      description: "Send to this group instead of the path's conversation.",
      error: "Give a user or group id.",
    }),
  ),
  client_id: t.Optional(
    t.String({
      minLength: 1,
      maxLength: 100,
      description: "The sender's own id for this send: sending it again returns the first message (Idempotent-Replay: true).",
      error: "client_id must be 1 to 100 characters.",
    }),
  ),
  reply_to: t.Optional(
    t.Union([bodyId, t.String({ maxLength: 20 }), t.Null()], {
      description: "The id of the message this one answers, in the same conversation.",
      error: "Give the id of the message this one answers.",
    }),
  ),
  file: t.Optional(t.Any({ format: "binary", description: "The attachment, in a multipart/form-data body." })),
});
export type SendBody = typeof sendBody.static;

export const historyQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000, error: "page must be a whole number from 1." })),
  before: t.Optional(t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "before must be a message id." })),
  after: t.Optional(t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, error: "after must be a message id." })),
  around: t.Optional(
    t.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      error: "around must be a message id.",
      description: "A page centred on this message (newest first): it, the older half and the newer half.",
    }),
  ),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, error: "limit must be from 1 to 100." })),
});
export type HistoryQuery = typeof historyQuery.static;

const reactionView = t.Object(
  {
    emoji: t.String(),
    count: t.Integer(),
    me: t.Boolean({ description: "Whether the caller reacted with it." }),
    users: t.Array(t.Integer(), { description: "Who reacted with it, by id, first first." }),
  },
  { title: "Reaction" },
);
export type ReactionView = typeof reactionView.static;

const attachment = t.Object(
  { name: t.String(), size: t.Integer(), content_type: t.String(), expires_at: t.Nullable(t.String({ format: "date-time" })), expired: t.Boolean() },
  { title: "Attachment" },
);

export const Message = t.Object(
  {
    id: t.Integer(),
    conversation_id: t.Integer(),
    sender: t.Integer(),
    sender_username: t.String(),
    sender_is_bot: t.Boolean({ description: "The sender is a bot account." }),
    sender_display_name: t.Nullable(t.String({ description: "The name an incoming webhook's post asked to be shown as (Slack's username); null otherwise." })),
    via_webhook: t.Boolean({ description: "Posted through an incoming webhook." }),
    receiver_user: t.Nullable(t.Integer()),
    receiver_group: t.Nullable(t.Integer()),
    message: t.String(),
    file: t.Nullable(t.String({ description: "A short-lived signed URL of the attachment; null without one or once expired." })),
    attachment: t.Nullable(attachment),
    timestamp: t.String({ format: "date-time" }),
    client_id: t.Nullable(t.String()),
    deleted: t.Boolean({ description: "A tombstone: the message was deleted; its text and file are gone, its place in the history stays." }),
    edited_at: t.Nullable(t.String({ format: "date-time" })),
    reply_to: t.Nullable(t.Integer({ description: "The message this one answers." })),
    reply_count: t.Integer(),
    reactions: t.Array(reactionView),
    mentions: t.Array(t.Integer(), { description: "Ids of the members mentioned with @username." }),
    pinned: t.Boolean(),
  },
  { title: "Message" },
);
export type MessageView = typeof Message.static;

export const messageParams = t.Object({ conversation_id: conversationParams.properties.conversation_id, message_id: pathId("A message id") });
export const editBody = t.Object({
  message: t.String({ maxLength: 2 * MAX_MESSAGE_LENGTH, error: `Ensure this field has no more than ${MAX_MESSAGE_LENGTH} characters.` }),
});
export const emojiBody = t.Object({ emoji: t.String({ minLength: 1, maxLength: 64, error: "Give one emoji, e.g. 👍." }) });
export const emojiParams = t.Object({ ...messageParams.properties, emoji: t.String({ minLength: 1, maxLength: 64 }) });
export const reactionsAnswer = t.Object({ message_id: t.Integer(), reactions: t.Array(reactionView) });
export const repliesQuery = t.Object({
  after: t.Optional(t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, error: "after must be a message id." })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, error: "limit must be from 1 to 100." })),
});
export const mentionsQuery = t.Object({
  before: t.Optional(t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "before must be a message id." })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, error: "limit must be from 1 to 100." })),
});

// What the message events carry in `data` (message.created carries the whole Message).
const { id, conversation_id, message, mentions, file, attachment: attachmentField, client_id, deleted, reactions, pinned } = Message.properties;
export const messageUpdatedEvent = t.Object({
  id,
  conversation_id,
  message,
  edited_at: t.String({ format: "date-time" }),
  mentions,
  // A deleted message's logged edit is replayed as the tombstone (see tombstone in service.ts): these come with it then.
  file: t.Optional(file),
  attachment: t.Optional(attachmentField),
  client_id: t.Optional(client_id),
  deleted: t.Optional(deleted),
  reactions: t.Optional(reactions),
  pinned: t.Optional(pinned),
});
export const messageDeletedEvent = t.Object({ id: t.Integer(), conversation_id: t.Integer() });
export const messagesExpiredEvent = t.Object({
  conversation_id: t.Integer(),
  up_to_id: t.Integer({ description: "Messages up to this id may be gone (or tombstones, where replies keep them): refetch the history." }),
});
export const pinEvent = t.Object({ message_id: t.Integer(), user_id: t.Integer({ description: "Who pinned or unpinned it." }) });
export const reactionEvent = t.Object({
  message_id: t.Integer(),
  emoji: t.String(),
  user_id: t.Integer({ description: "Who reacted (or took the reaction back)." }),
  count: t.Integer({ description: "How many now react with this emoji." }),
});
