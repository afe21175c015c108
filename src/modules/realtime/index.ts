// The WebSocket gateway (/ws), the original's per-conversation endpoint (/ws/chat/{id}/), and presence over REST.
import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { AppError } from "../../lib/errors";
import { errorBody } from "../../lib/http";
import { requireUser } from "../auth/plugin";
import { authenticate, type AuthUser } from "../auth/service";
import { requireMember } from "../conversations/service";
import { sendMessage } from "../messages/service";
import type { Socket, SocketState } from "./hub";
import * as realtime from "./service";
import { legacyTopic } from "./topics";

const upgradeQuery = t.Object({
  token: t.Optional(t.String()),
  since: t.Optional(t.String({ pattern: "^\\d{1,15}$", error: "since must be a seq number." })),
});

/** The user behind an upgrade request: Bearer header or ?token= (browsers cannot set headers on a WebSocket). */
const upgradeUser = (ctx: AppContext) =>
  new Elysia().resolve({ as: "scoped" }, async ({ headers, query, status }) => {
    const token = (query as { token?: string }).token;
    try {
      return { user: await authenticate(ctx, headers.authorization ?? (token ? `Bearer ${token}` : undefined)) };
    } catch (error) {
      if (error instanceof AppError) return status(error.status as 401, errorBody(error.code, error.message));
      throw error;
    }
  });

/** Bun's socket under Elysia's wrapper (its typings omit a few methods the gateway uses). */
const socketOf = (ws: { raw: unknown }) => ws.raw as Socket;

/** Shared by both endpoints: flood control before anything else, then the endpoint's own handling. */
function guard(ctx: AppContext, socket: Socket): SocketState | null {
  const state = ctx.hub.state(socket);
  if (!state) return null;
  if (ctx.config.rateLimits && !realtime.allowOperation(state)) {
    socket.send(JSON.stringify({ type: "error", data: { code: "rate_limited", message: "Too many messages; slow down." } }));
    socket.close(1008, "Rate limit exceeded");
    return null;
  }
  return state;
}

async function opened(ctx: AppContext, socket: Socket, state: SocketState) {
  if (ctx.hub.add(socket, state)) await realtime.announcePresence(ctx, state.userId, "online");
}

async function closed(ctx: AppContext, socket: Socket) {
  const state = ctx.hub.state(socket);
  if (state && ctx.hub.remove(socket)) await realtime.announcePresence(ctx, state.userId, "offline");
}

export const realtimeRoutes = (ctx: AppContext) =>
  new Elysia()
    .use(
      new Elysia({ prefix: "/api", tags: ["Realtime"] }).use(requireUser(ctx)).get(
        "/presence/",
        ({ user, query }) => realtime.presenceOf(ctx, user, [...new Set(query.user_ids.split(",").map(Number))].filter((id) => Number.isSafeInteger(id) && id > 0).slice(0, 200)),
        {
          query: t.Object({ user_ids: t.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$", maxLength: 4000, error: "user_ids must be comma-separated user ids." }) }),
          response: t.Array(t.Object({ user_id: t.Integer(), status: t.Union([t.Literal("online"), t.Literal("offline")]) })),
          detail: { summary: "Presence of users who share a conversation with you", security: [{ bearerAuth: [] }] },
        },
      ),
    )
    .use(
      new Elysia()
        .use(upgradeUser(ctx))
        .ws("/ws", {
          query: upgradeQuery,
          body: t.Any(),
          open(ws) {
            const { user, query } = ws.data as unknown as { user: AuthUser; query: { since?: string } };
            const state = realtime.connect(ctx, socketOf(ws), user, query.since === undefined ? null : Number(query.since));
            void opened(ctx, socketOf(ws), state);
          },
          async message(ws, body) {
            const state = guard(ctx, socketOf(ws));
            if (!state) return;
            const { user } = ws.data as unknown as { user: AuthUser };
            if (typeof body !== "object" || body === null || Array.isArray(body)) {
              socketOf(ws).send(JSON.stringify({ type: "error", data: { code: "invalid_json", message: "Send a JSON object with a type." } }));
              return;
            }
            await realtime.handleOperation(ctx, socketOf(ws), state, user, body);
          },
          close(ws) {
            void closed(ctx, socketOf(ws));
          },
          detail: { summary: "The real-time gateway (WebSocket)", tags: ["Realtime"] },
        })
        .resolve(async ({ user, params, status }) => {
          // The original's endpoint is for members of that one conversation only.
          const id = Number((params as { conversation_id: string }).conversation_id);
          try {
            return { conversation: await requireMember(ctx, id, user.id) };
          } catch (error) {
            if (error instanceof AppError) return status(error.status as 403, errorBody(error.code, error.message));
            throw error;
          }
        })
        .ws("/ws/chat/:conversation_id/", {
          params: t.Object({ conversation_id: t.String({ pattern: "^\\d{1,15}$" }) }),
          query: upgradeQuery,
          body: t.Any(),
          open(ws) {
            const { user, conversation } = ws.data as unknown as { user: AuthUser; conversation: { id: number } };
            socketOf(ws).subscribe(legacyTopic(conversation.id));
            void opened(ctx, socketOf(ws), realtime.newSocketState(user, ctx.hub.lastPublished, conversation.id));
          },
          async message(ws, body) {
            const state = guard(ctx, socketOf(ws));
            if (!state) return;
            const { user, conversation } = ws.data as unknown as { user: AuthUser; conversation: { id: number } };
            const text = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
            if (typeof text !== "string") {
              socketOf(ws).send(JSON.stringify({ error: 'Send {"message": "..."}.', code: "invalid" }));
              return;
            }
            try {
              await sendMessage(ctx, user, conversation.id, { message: text });
            } catch (error) {
              if (!(error instanceof AppError)) throw error;
              socketOf(ws).send(JSON.stringify({ error: error.fields ? Object.values(error.fields).flat().join(" ") : error.message, code: error.code }));
            }
          },
          close(ws) {
            void closed(ctx, socketOf(ws));
          },
          detail: { summary: "The original's per-conversation WebSocket", tags: ["Realtime"] },
        }),
    );
