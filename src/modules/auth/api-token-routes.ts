import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { createApiToken, listApiTokens, revokeApiToken } from "./api-tokens";
import { ApiToken, ApiTokenCreated, newApiTokenBody, tokenIdParams } from "./model";
import { requireUser } from "./plugin";

const security = [{ bearerAuth: [] }];

/** A user's own API tokens (staff manage a bot's under /api/admin/bots/{id}/tokens/). */
export const apiTokenRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/tokens", tags: ["API tokens"] })
    .use(requireUser(ctx))
    .get("/", ({ user }) => listApiTokens(ctx, user.id), {
      response: { 200: t.Array(ApiToken), ...errorResponses(403) },
      detail: { summary: "Your API tokens (never the tokens themselves)", security },
    })
    .post(
      "/",
      async ({ user, body, set }) => {
        const created = await createApiToken(ctx, user, user, body);
        set.status = 201;
        return created;
      },
      {
        body: newApiTokenBody,
        response: { 201: ApiTokenCreated, ...errorResponses(403) },
        detail: {
          summary: "Create an API token",
          description:
            "Scopes: `read` (GET requests, opening /ws), `write` (everything else but /api/admin/), `admin` (staff only). A token used here cannot create one with more scopes than its own. The token is in this answer only.",
          security,
        },
      },
    )
    .delete(
      "/:token_id/",
      async ({ user, params, set }) => {
        await revokeApiToken(ctx, user.id, params.token_id);
        set.status = 204;
      },
      {
        params: tokenIdParams,
        response: { 204: t.Void(), ...errorResponses(403) },
        detail: { summary: "Revoke an API token: it stops working at once, its sockets close", security },
      },
    );
