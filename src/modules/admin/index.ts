import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { requireUser } from "../auth/plugin";
import { adminGroup, adminUser, listQuery, messageIdParams, userIdParams } from "./model";
import * as admin from "./service";

const detail = (summary: string) => ({ summary, description: "Staff only (others: 403).", security: [{ bearerAuth: [] }] });

export const adminRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/admin", tags: ["Admin"] })
    .use(requireUser(ctx))
    .get("/users/", ({ user, query }) => admin.listUsers(ctx, user, query), {
      query: listQuery,
      response: { 200: t.Array(adminUser), ...errorResponses(403) },
      detail: detail("List and search users (q: start of username or email; before: id cursor)"),
    })
    .post("/users/:user_id/deactivate/", ({ user, params }) => admin.setActive(ctx, user, params.user_id, false), {
      params: userIdParams,
      response: { 200: adminUser, ...errorResponses(400, 403) },
      detail: detail("Deactivate an account: its tokens stop working, its sockets close, it cannot log in"),
    })
    .post("/users/:user_id/reactivate/", ({ user, params }) => admin.setActive(ctx, user, params.user_id, true), {
      params: userIdParams,
      response: { 200: adminUser, ...errorResponses(403) },
      detail: detail("Reactivate an account"),
    })
    .delete(
      "/messages/:message_id/",
      async ({ user, params, set }) => {
        await admin.deleteAnyMessage(ctx, user, params.message_id);
        set.status = 204;
      },
      {
        params: messageIdParams,
        response: { 204: t.Void(), ...errorResponses(403) },
        detail: detail("Delete any message: text and file removed, a tombstone stays, members get message.deleted"),
      },
    )
    .get("/groups/", ({ user, query }) => admin.listGroups(ctx, user, query), {
      query: listQuery,
      response: { 200: t.Array(adminGroup), ...errorResponses(403) },
      detail: detail("List groups with their member counts"),
    });
