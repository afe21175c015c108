import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { requireUser } from "../auth/plugin";
import { lookupQuery, patchUserBody, registerBody, registerResponse, replaceUserBody, User, userIdParams } from "./model";
import * as users from "./service";

const security = [{ bearerAuth: [] }];

export const userRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api", tags: ["Users"] })
    .post(
      "/register/",
      async ({ body, set, request, server }) => {
        const user = await users.register(ctx, body, ctx.clientIp(request, server));
        set.status = 201;
        return { user: users.toPublicUser(user, { id: user.id, is_staff: false }), message: "User Created Successfully" };
      },
      {
        body: registerBody,
        response: { 201: registerResponse, ...errorResponses(429) },
        detail: { summary: "Register an account", description: "Rate-limited per client address (429 with Retry-After)." },
      },
    )
    .use(requireUser(ctx))
    .get("/users/lookup/", async ({ user, query }) => users.toPublicUser(await users.lookupUser(ctx, query.username), user), {
      query: lookupQuery,
      response: { 200: User, ...errorResponses(404) },
      detail: { summary: "Find a user by username", description: "Exact match, case-insensitive; inactive accounts are not found (404).", security },
    })
    .get("/:user_id/", async ({ user, params }) => users.toPublicUser(await users.getUser(ctx, params.user_id), user), {
      params: userIdParams,
      response: User,
      detail: { summary: "A user's profile", description: "The email is shown only to the user themself and to staff.", security },
    })
    .patch("/:user_id/update/", async ({ user, params, body }) => users.toPublicUser(await users.updateUser(ctx, user, params.user_id, body), user), {
      params: userIdParams,
      body: patchUserBody,
      response: { 200: User, ...errorResponses(403, 429) },
      detail: {
        summary: "Change some fields of your account",
        description:
          "Only the account's owner or staff. Changing your own password or email needs `current_password` (missing or wrong: 400 naming it); staff changing another account do not. A new password ends every session of the account.",
        security,
      },
    })
    .put("/:user_id/update/", async ({ user, params, body }) => users.toPublicUser(await users.updateUser(ctx, user, params.user_id, body), user), {
      params: userIdParams,
      body: replaceUserBody,
      response: { 200: User, ...errorResponses(403, 429) },
      detail: {
        summary: "Replace your account's fields (all five required)",
        description: "As PATCH: your own new password or email needs `current_password`.",
        security,
      },
    })
    .delete(
      "/:user_id/delete/",
      async ({ user, params, set }) => {
        await users.deleteUser(ctx, user, params.user_id);
        set.status = 204;
      },
      {
        params: userIdParams,
        response: { 204: t.Void(), ...errorResponses(403) },
        detail: {
          summary: "Delete an account",
          description:
            "Only the account's owner or staff. Its tokens stop working; its messages (members get `message.deleted`, the event log keeps no text of them) and its files go with it.",
          security,
        },
      },
    );
