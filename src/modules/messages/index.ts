import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { requireUser } from "../auth/plugin";
import { conversationParams, historyQuery, messageView, sendBody } from "./model";
import * as messages from "./service";

const security = [{ bearerAuth: [] }];

/** An answer whose JSON is already serialized (the history page may come from a cache). */
const jsonText = (json: string) => new Response(json, { headers: { "content-type": "application/json; charset=utf-8" } });

export const messageRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/messages", tags: ["Messages"] })
    .use(requireUser(ctx))
    .post(
      "/:conversation_id/send/",
      async ({ user, params, body, set }) => {
        const { message, created } = await messages.sendMessage(ctx, user, params.conversation_id, body);
        set.status = 201;
        if (!created) set.headers["idempotent-replay"] = "true";
        return message;
      },
      {
        params: conversationParams,
        body: sendBody,
        response: { 201: messageView },
        detail: {
          summary: "Send a message (JSON, or multipart with a file)",
          description:
            "With `receiver_user` the message goes to the caller's direct conversation with that user (created on first use); with `receiver_group` to that group; otherwise to the conversation in the path. Members only. A repeated `client_id` returns the first message (header Idempotent-Replay: true). Sends (REST and WebSocket together) and uploaded bytes are rate-limited per user (429 with Retry-After).",
          security,
        },
      },
    )
    .get("/:conversation_id/", async ({ user, params, query }) => jsonText(await messages.historyJson(ctx, user, params.conversation_id, query)), {
      params: conversationParams,
      query: historyQuery,
      response: t.Array(messageView),
      detail: {
        summary: "A conversation's messages",
        description: "Newest first, 10 a page with `?page=N` (as the original), or with cursors: `?before=<id>` (older, newest first), `?after=<id>` (newer, oldest first), `?limit=1..100`. Members only.",
        security,
      },
    });
