// Presence over REST. The WebSocket endpoints themselves are Bun routes: see gateway.ts.
import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { requireUser } from "../auth/plugin";
import * as realtime from "./service";

export const realtimeRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api", tags: ["Realtime"] })
    .use(requireUser(ctx))
    .get(
      "/presence/",
      ({ user, query }) =>
        realtime.presenceOf(ctx, user, [...new Set(query.user_ids.split(",").map(Number))].filter((id) => Number.isSafeInteger(id) && id > 0).slice(0, 200)),
      {
        query: t.Object({
          user_ids: t.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$", maxLength: 4000, error: "user_ids must be comma-separated user ids." }),
        }),
        response: t.Array(t.Object({ user_id: t.Integer(), status: t.Union([t.Literal("online"), t.Literal("offline")]) })),
        detail: { summary: "Presence of users who share a conversation with you", security: [{ bearerAuth: [] }] },
      },
    );
