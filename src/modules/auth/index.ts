import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { findUserById } from "../users/repository";
import { loginBody, loginResponse, messageResponse, protectedResponse, refreshBody, tokenPair, wsTicket } from "./model";
import { requireUser } from "./plugin";
import * as auth from "./service";
import { issueWsTicket } from "./ws-tickets";

const security = [{ bearerAuth: [] }];

export const authRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api", tags: ["Authentication"] })
    .post("/login/", ({ body, request, server }) => auth.login(ctx, body.email, body.password, ctx.clientIp(request, server)), {
      body: loginBody,
      response: { 200: loginResponse, ...errorResponses(401, 429) },
      detail: {
        summary: "Log in with email and password",
        description:
          "Wrong password, unknown email and inactive account all answer the same 401. Rate-limited per client address and per email (429 with Retry-After).",
      },
    })
    .post("/token/", ({ body, request, server }) => auth.login(ctx, body.email, body.password, ctx.clientIp(request, server)), {
      body: loginBody,
      response: { 200: loginResponse, ...errorResponses(401, 429) },
      detail: { summary: "Obtain a token pair (same as /api/login/)", description: "Shares /api/login/'s rate limits." },
    })
    .post("/token/refresh/", ({ body, request, server }) => auth.refresh(ctx, body.refresh, ctx.clientIp(request, server)), {
      body: refreshBody,
      response: { 200: tokenPair, ...errorResponses(401, 429) },
      detail: {
        summary: "Rotate a refresh token",
        description:
          "The refresh token given is revoked; using it again answers 401. Rate-limited per client address and per user (429 with Retry-After; the token stays usable).",
      },
    })
    .use(requireUser(ctx))
    .post(
      "/logout/",
      async ({ user, body }) => {
        await auth.logout(ctx, user, body.refresh);
        return { message: "Logged out successfully" };
      },
      {
        body: refreshBody,
        response: { 200: messageResponse, ...errorResponses(403) },
        detail: { summary: "Log out: revoke this refresh token and the access token used", security },
      },
    )
    .post(
      "/logout/all/",
      async ({ user }) => {
        await auth.logoutEverywhere(ctx, user);
        return { message: "Logged out everywhere" };
      },
      {
        response: { 200: messageResponse },
        detail: {
          summary: "Log out everywhere: end every login of the account, this one included",
          description: "Every access and refresh token of the account stops working at once and its sockets close (1008) on every node.",
          security,
        },
      },
    )
    .post("/ws-ticket/", ({ user }) => issueWsTicket(ctx, user), {
      response: wsTicket,
      detail: {
        summary: "A single-use ticket for opening a WebSocket without the access token in its URL",
        description:
          "Valid once, for 30 seconds, and only while the access token used here is valid (logout, a password change or deactivation end it too). Reverse proxies log URLs: prefer this to ?token=.",
        security,
      },
    })
    .get("/users/protected/", async ({ user }) => ({ message: "Access granted!", email: (await findUserById(ctx.reader, user.id))!.email }), {
      response: protectedResponse,
      detail: { summary: "Check an access token", security },
    });
