import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { jsonText } from "../../lib/http";
import { requireUser } from "../auth/plugin";
import { IDEMPOTENT_REPLAY, withHeaders } from "../docs/responses";
import {
  conversationParams,
  editBody,
  emojiBody,
  emojiParams,
  historyQuery,
  mentionsQuery,
  messageParams,
  Message,
  reactionsAnswer,
  repliesQuery,
  sendBody,
} from "./model";
import { setPinned } from "./pins";
import { setReaction } from "./reactions";
import * as messages from "./service";

const security = [{ bearerAuth: [] }];

/** An answer whose JSON is already serialized (the history page may come from a cache). */

/** The routes that take a file, as "METHOD route": the only ones that read multipart bodies (files/multipart.ts). */
export const messageFileRoutes = ["POST /api/messages/:conversation_id/send/"];

export const messageRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/messages", tags: ["Messages"] })
    .use(requireUser(ctx))
    .use(messageActionRoutes(ctx))
    .post(
      "/:conversation_id/send/",
      async ({ user, params, body, set }) => {
        const { json, created } = await messages.sendMessage(ctx, user, params.conversation_id, body);
        // The message's JSON text as made once for its event (see sendMessage).
        return jsonText(set, json, { status: 201, headers: { "content-type": "application/json", ...(created ? {} : { "idempotent-replay": "true" }) } });
      },
      {
        params: conversationParams,
        body: sendBody,
        response: { 201: withHeaders(Message, { "Idempotent-Replay": IDEMPOTENT_REPLAY }), ...errorResponses(403, 429) },
        detail: {
          summary: "Send a message (JSON, or multipart with a file: at most 16 parts, read only once the token checked out)",
          description:
            "With `receiver_user` the message goes to the caller's direct conversation with that user (created on first use); with `receiver_group` to that group; otherwise to the conversation in the path. Members only. A repeated `client_id` returns the first message (header Idempotent-Replay: true). Sends (REST and WebSocket together) and uploaded bytes are rate-limited per user (429 with Retry-After).",
          security,
        },
      },
    )
    .get("/:conversation_id/", async ({ user, params, query, set }) => jsonText(set, await messages.historyJson(ctx, user, params.conversation_id, query)), {
      params: conversationParams,
      query: historyQuery,
      response: { 200: t.Array(Message), ...errorResponses(403) },
      detail: {
        summary: "A conversation's messages",
        description:
          "Newest first, 10 a page with `?page=N` (as the original), or with cursors: `?before=<id>` (older, newest first), `?after=<id>` (newer, oldest first), `?around=<id>` (that message with older and newer ones around it, newest first: for jumping to it), `?limit=1..100`. Members only.",
        security,
      },
    });

/** What members do to one message: edit, delete, react, reply, pin. */
const messageActionRoutes = (ctx: AppContext) =>
  new Elysia({ tags: ["Messages"] })
    .use(requireUser(ctx))
    .patch(
      "/:conversation_id/:message_id/",
      ({ user, params, body }) => messages.editMessage(ctx, user, params.conversation_id, params.message_id, body.message),
      {
        params: messageParams,
        body: editBody,
        response: { 200: Message, ...errorResponses(403, 409) },
        detail: {
          summary: "Edit a message (the sender only)",
          description:
            "Sets `edited_at`; mentions are resolved again; members get `message.updated`. The old text is gone from the event log and the database.",
          security,
        },
      },
    )
    .delete(
      "/:conversation_id/:message_id/",
      async ({ user, params, set }) => {
        await messages.deleteConversationMessage(ctx, user, params.conversation_id, params.message_id);
        set.status = 204;
      },
      {
        params: messageParams,
        response: { 204: t.Void(), ...errorResponses(403) },
        detail: {
          summary: "Delete a message (the sender, a group's owners and admins, staff)",
          description:
            "Text, file, reactions and mentions are removed from storage and from the event log; a tombstone keeps the history's order; members get `message.deleted`.",
          security,
        },
      },
    )
    .post(
      "/:conversation_id/:message_id/reactions/",
      async ({ user, params, body, set }) => {
        const { changed, ...answer } = await setReaction(ctx, user, params.conversation_id, params.message_id, body.emoji, true);
        set.status = changed ? 201 : 200;
        return answer;
      },
      {
        params: messageParams,
        body: emojiBody,
        response: { 200: reactionsAnswer, 201: reactionsAnswer, ...errorResponses(403, 409) },
        detail: { summary: "React with an emoji (201; 200 when already reacted)", description: "Members get `reaction.added`.", security },
      },
    )
    .delete(
      "/:conversation_id/:message_id/reactions/:emoji/",
      async ({ user, params }) => {
        // Elysia has decoded the path segment already: decoding it again would throw (500) on a literal "%".
        const { changed: _, ...answer } = await setReaction(ctx, user, params.conversation_id, params.message_id, params.emoji, false);
        return answer;
      },
      {
        params: emojiParams,
        response: { 200: reactionsAnswer, ...errorResponses(403, 409) },
        detail: { summary: "Take back a reaction (the emoji URL-encoded in the path)", description: "Members get `reaction.removed`.", security },
      },
    )
    .get(
      "/:conversation_id/:message_id/replies/",
      ({ user, params, query }) => messages.listReplies(ctx, user, params.conversation_id, params.message_id, query),
      {
        params: messageParams,
        query: repliesQuery,
        response: { 200: t.Array(Message), ...errorResponses(403) },
        detail: { summary: "Replies to a message, oldest first (`?after=<id>`, `?limit=`)", security },
      },
    )
    .post("/:conversation_id/:message_id/pin/", ({ user, params }) => setPinned(ctx, user, params.conversation_id, params.message_id, true), {
      params: messageParams,
      response: { 200: Message, ...errorResponses(403, 409) },
      detail: {
        summary: "Pin a message (a group's owners and admins; either side of a direct conversation)",
        description: "Members get `message.pinned`.",
        security,
      },
    })
    .delete("/:conversation_id/:message_id/pin/", ({ user, params }) => setPinned(ctx, user, params.conversation_id, params.message_id, false), {
      params: messageParams,
      response: { 200: Message, ...errorResponses(403, 409) },
      detail: { summary: "Unpin a message", description: "Members get `message.unpinned`.", security },
    });

export const mentionRoutes = (ctx: AppContext) =>
  new Elysia({ tags: ["Messages"] }).use(requireUser(ctx)).get("/api/mentions/", ({ user, query }) => messages.listMentions(ctx, user, query), {
    query: mentionsQuery,
    response: t.Array(Message),
    detail: { summary: "Messages that mention the caller, newest first (`?before=<id>`, `?limit=`)", security },
  });
