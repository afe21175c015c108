import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { requireUser } from "../auth/plugin";
import { ApiToken, ApiTokenCreated, newApiTokenBody } from "../auth/model";
import { adminGroup, adminUser, botIdParams, botTokenParams, listQuery, messageIdParams, newBotBody, userIdParams } from "./model";
import * as bots from "./bots";
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
    })
    .post(
      "/bots/",
      async ({ user, body, set }) => {
        const bot = await bots.createBot(ctx, user, body);
        set.status = 201;
        return admin.toAdminUser(bot);
      },
      {
        body: newBotBody,
        response: { 201: adminUser, ...errorResponses(403) },
        detail: detail("Create a bot account: it cannot log in with a password; give it API tokens (below) or webhooks"),
      },
    )
    .get("/bots/", async ({ user }) => (await bots.listBots(ctx, user)).map(admin.toAdminUser), {
      response: { 200: t.Array(adminUser), ...errorResponses(403) },
      detail: detail("List bot accounts, newest first"),
    })
    .get("/bots/:bot_id/tokens/", ({ user, params }) => bots.listBotTokens(ctx, user, params.bot_id), {
      params: botIdParams,
      response: { 200: t.Array(ApiToken), ...errorResponses(403) },
      detail: detail("A bot's API tokens"),
    })
    .post(
      "/bots/:bot_id/tokens/",
      async ({ user, params, body, set }) => {
        const created = await bots.createBotToken(ctx, user, params.bot_id, body);
        set.status = 201;
        return created;
      },
      {
        params: botIdParams,
        body: newApiTokenBody,
        response: { 201: ApiTokenCreated, ...errorResponses(403) },
        detail: detail("Create an API token for a bot (read and/or write; bots are never staff): shown this once"),
      },
    )
    .delete(
      "/bots/:bot_id/tokens/:token_id/",
      async ({ user, params, set }) => {
        await bots.revokeBotToken(ctx, user, params.bot_id, params.token_id);
        set.status = 204;
      },
      {
        params: botTokenParams,
        response: { 204: t.Void(), ...errorResponses(403) },
        detail: detail("Revoke a bot's API token: it stops working at once, its sockets close"),
      },
    );
