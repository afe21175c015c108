// The WebSocket endpoints, served as Bun routes beneath Elysia: each socket carries one object of its own (its
// user, where to resume, its flood bucket: the hub's SocketState) and shares its handlers, instead of a copy of a
// whole request context (Elysia's .ws() keeps one per socket, about 8 KiB). Elysia's websocket dispatcher calls
// ws.data.open, .message and .close, so that is where the handlers live: on the object's prototype.
import type { Server } from "bun";
import type { AppContext } from "../../context";
import { AppError } from "../../lib/errors";
import { errorBody, errorResponse, fieldsInOneLine, jsonResponse, wireError } from "../../lib/http";
import { authenticate } from "../auth/service";
import { redeemWsTicket } from "../auth/ws-tickets";
import { requireScope } from "../auth/scopes";
import { requireMember } from "../conversations/membership";
import { sendMessage } from "../messages/service";
import type { Socket, SocketState } from "./hub";
import * as realtime from "./service";
import { legacyTopic } from "./topics";

interface SocketData extends SocketState {
  /** The seq to resume after (`?since=`), or null for a fresh connection. */
  since: number | null;
  /** Settles when the socket is subscribed and has its replay (operations sent before that wait for it). */
  connected: Promise<void> | null;
}

type GatewaySocket = Socket & { data: SocketData };

export function gatewayRoutes(ctx: AppContext) {
  const frameError = (code: string, message: string) => JSON.stringify({ type: "error", data: { code, message } });

  const handlers = {
    open(ws: GatewaySocket) {
      const { user, since, legacyConversation } = ws.data;
      const online = () => void realtime.announcePresence(ctx, user.id, "online");
      if (legacyConversation !== null) {
        ws.subscribe(legacyTopic(legacyConversation));
        ws.data.subscribedAt = ctx.hub.lastPublished;
        if (ctx.hub.add(ws)) online();
        return;
      }
      ws.data.connected = realtime.connect(ctx, ws, since).then(
        (connected) => {
          ws.data.connected = null;
          if (connected?.first) online();
        },
        (thrown) => {
          // The database went away while the socket was being set up: said once (lib/database-outage.ts), not per socket.
          if (ctx.faults.refusal(thrown) instanceof AppError) return ws.close(1011, "Database unavailable; reconnect with since");
          ctx.log.error("websocket connect failed", { error: String(thrown) });
          ws.close(1011, "Internal error");
        },
      );
    },

    async message(ws: GatewaySocket, raw: string | Buffer) {
      if (ws.data.connected) await ws.data.connected;
      if (!ctx.hub.has(ws)) return;
      if (ctx.config.rateLimits && !realtime.allowOperation(ws.data)) {
        ws.send(frameError("rate_limited", "Too many messages; slow down."));
        ws.close(1008, "Rate limit exceeded");
        return;
      }
      let op: unknown;
      try {
        op = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
      } catch {
        op = undefined;
      }
      if (ws.data.legacyConversation !== null) return legacyMessage(ws, op);
      if (typeof op !== "object" || op === null || Array.isArray(op)) {
        ws.send(frameError("invalid_json", "Send a JSON object with a type."));
        return;
      }
      await realtime.handleOperation(ctx, ws, op as Record<string, unknown>);
    },

    close(ws: GatewaySocket) {
      if (ctx.hub.remove(ws)) void realtime.announcePresence(ctx, ws.data.user.id, "offline");
    },
  };

  /** The original's endpoint: `{"message": "..."}` in, stored and delivered everywhere; errors as `{"error"}`. */
  async function legacyMessage(ws: GatewaySocket, op: unknown) {
    const text = typeof op === "object" && op !== null ? (op as { message?: unknown }).message : undefined;
    if (typeof text !== "string") {
      ws.send(JSON.stringify({ error: 'Send {"message": "..."}.', code: "invalid" }));
      return;
    }
    try {
      requireScope(ws.data.user.scopes, "write");
      await sendMessage(ctx, ws.data.user, ws.data.legacyConversation!, { message: text });
    } catch (thrown) {
      const error = ctx.faults.refusal(thrown);
      if (!(error instanceof AppError)) throw error;
      const wire = wireError(error);
      ws.send(JSON.stringify({ error: wire.fields ? fieldsInOneLine(wire.fields, false) : wire.message, code: wire.code, ...wire.retryAfter }));
    }
  }

  /**
   * Authenticates before upgrading: a Bearer header, or — since browsers cannot set headers on a WebSocket — a
   * single-use ?ticket= from POST /api/ws-ticket/, or the access token itself in ?token= (older clients).
   */
  async function upgrade(request: Request, server: Server<SocketData>, legacyConversation: number | null): Promise<Response | undefined> {
    const url = new URL(request.url);
    const since = url.searchParams.get("since");
    const token = url.searchParams.get("token");
    const ticket = url.searchParams.get("ticket");
    try {
      const user =
        ticket !== null
          ? await redeemWsTicket(ctx, ticket)
          : await authenticate(ctx, request.headers.get("authorization") ?? (token ? `Bearer ${token}` : undefined));
      requireScope(user.scopes, "read");
      if (legacyConversation !== null) await requireMember(ctx, legacyConversation, user.id);
      if (since !== null && !/^\d{1,15}$/.test(since)) return jsonResponse(400, { since: ["since must be a seq number."] });
      const data: SocketData = Object.assign(Object.create(handlers), realtime.newSocketState(user, legacyConversation), {
        since: since === null ? null : Number(since),
        connected: null,
      });
      if (server.upgrade(request, { data })) return undefined;
      return jsonResponse(426, errorBody("bad_request", "This endpoint speaks WebSocket only."), { upgrade: "websocket" });
    } catch (thrown) {
      const error = ctx.faults.refusal(thrown);
      if (error instanceof AppError) return errorResponse(error);
      throw error;
    }
  }

  return {
    "/ws": (request: Request, server: Server<SocketData>) => upgrade(request, server, null),
    // A wildcard, not "/ws/chat/:id/": Elysia strips the trailing slash from the routes it hands to Bun.
    "/ws/chat/*": (request: Request, server: Server<SocketData>) => {
      const id = /^\/ws\/chat\/(\d{1,15})\/$/.exec(new URL(request.url).pathname)?.[1];
      if (!id) return jsonResponse(404, errorBody("not_found", "Not found."));
      return upgrade(request, server, Number(id));
    },
  };
}
