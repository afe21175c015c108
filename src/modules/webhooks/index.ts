import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { requireUser } from "../auth/plugin";
import * as incoming from "./incoming";
import * as outgoing from "./outgoing";
import {
  conversationParams,
  Delivery,
  deliveryParams,
  hookParams,
  hookResponses,
  IncomingWebhook,
  IncomingWebhookSecret,
  incomingBody,
  OutgoingWebhook,
  OutgoingWebhookSecret,
  outgoingBody,
  webhookParams,
} from "./model";

const security = [{ bearerAuth: [] }];
const who = "Groups: owners, admins and staff. A direct conversation with a bot: either member (posts come from that bot). Others: 403.";
const originOf = (request: Request) => new URL(request.url).origin;

/** POST /hooks/{id}/{secret}: Slack's incoming-webhook protocol, answered in Slack's plain-text way (no credential but the URL). */
export const hookRoutes = (ctx: AppContext) =>
  new Elysia({ tags: ["Webhooks"] }).post(
    "/hooks/:webhook_id/:secret",
    async ({ params, body, request }) => {
      const answer = await incoming.postToHook(ctx, params.webhook_id, params.secret, body, request.headers.get("content-type") ?? "");
      const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
      if (answer.retryAfter !== undefined) headers["retry-after"] = String(answer.retryAfter);
      return new Response(answer.body, { status: answer.status, headers });
    },
    {
      params: hookParams,
      parse: "text",
      detail: {
        summary: "Post a message through an incoming webhook (Slack-compatible)",
        description:
          "A JSON body, or a form with the JSON in its `payload` field, as Slack takes: `text` (required unless `blocks` or `attachments` carry text), optional `username` (shown as `sender_display_name`), `blocks` and `attachments` flattened to plain text. Answers `ok` in text/plain as Slack does, and Slack's error codes in text/plain (`invalid_payload`, `no_text`, `no_service`, `channel_not_found`, `msg_too_long`, `rate_limited`) rather than the API's JSON error shape, so tools written for Slack understand them. Rate-limited per webhook (429 with Retry-After).",
        requestBody: {
          content: {
            "application/json": { schema: { type: "object", additionalProperties: true } },
            "application/x-www-form-urlencoded": { schema: { type: "object", properties: { payload: { type: "string" } } } },
          },
        },
        responses: hookResponses,
      } as never,
    },
  );

export const webhookRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/conversations/:conversation_id/webhooks", tags: ["Webhooks"] })
    .use(requireUser(ctx))
    .get("/", ({ user, params }) => incoming.listIncoming(ctx, user, params.conversation_id), {
      params: conversationParams,
      response: { 200: t.Array(IncomingWebhook), ...errorResponses(403) },
      detail: { summary: "A conversation's incoming webhooks (never their secrets)", description: who, security },
    })
    .post(
      "/",
      async ({ user, params, body, set, request }) => {
        const created = await incoming.createIncoming(ctx, user, params.conversation_id, body.name, originOf(request));
        set.status = 201;
        return created;
      },
      {
        params: conversationParams,
        body: incomingBody,
        response: { 201: IncomingWebhookSecret, ...errorResponses(403) },
        detail: {
          summary: "Create an incoming webhook: its URL is in this answer only",
          description: `${who} In a group, the webhook posts as a new bot account (named after it) added to the group.`,
          security,
        },
      },
    )
    .patch("/:webhook_id/", ({ user, params, body }) => incoming.renameIncoming(ctx, user, params.conversation_id, params.webhook_id, body.name), {
      params: webhookParams,
      body: incomingBody,
      response: { 200: IncomingWebhook, ...errorResponses(403) },
      detail: { summary: "Rename an incoming webhook (and its bot)", description: who, security },
    })
    .post(
      "/:webhook_id/rotate/",
      ({ user, params, request }) => incoming.rotateIncoming(ctx, user, params.conversation_id, params.webhook_id, originOf(request)),
      {
        params: webhookParams,
        response: { 200: IncomingWebhookSecret, ...errorResponses(403) },
        detail: { summary: "A new secret URL for an incoming webhook: the old one stops working at once", description: who, security },
      },
    )
    .delete(
      "/:webhook_id/",
      async ({ user, params, set }) => {
        await incoming.deleteIncoming(ctx, user, params.conversation_id, params.webhook_id);
        set.status = 204;
      },
      {
        params: webhookParams,
        response: { 204: t.Void(), ...errorResponses(403) },
        detail: { summary: "Delete an incoming webhook: its URL stops working, its bot is deactivated (its messages stay)", description: who, security },
      },
    );

const outgoingWho = "A group's owners and admins; staff for any conversation. Others: 403.";

export const outgoingWebhookRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/conversations/:conversation_id/outgoing-webhooks", tags: ["Webhooks"] })
    .use(requireUser(ctx))
    .get("/", ({ user, params }) => outgoing.listOutgoing(ctx, user, params.conversation_id), {
      params: conversationParams,
      response: { 200: t.Array(OutgoingWebhook), ...errorResponses(403) },
      detail: { summary: "A conversation's outgoing webhooks, with why one was disabled", description: outgoingWho, security },
    })
    .post(
      "/",
      async ({ user, params, body, set }) => {
        const created = await outgoing.createOutgoing(ctx, user, params.conversation_id, body);
        set.status = 201;
        return created;
      },
      {
        params: conversationParams,
        body: outgoingBody,
        response: { 201: OutgoingWebhookSecret, ...errorResponses(403) },
        detail: {
          summary: "Subscribe a URL to a conversation's events: its signing secret is in this answer only",
          description: `${outgoingWho} Each event is POSTed as the JSON /ws sends, with X-Parley-Event, X-Parley-Delivery (dedupe on it), X-Parley-Timestamp, X-Parley-Signature (sha256=HMAC-SHA256 of the body, GitHub's scheme) and X-Parley-Signature-Timestamped (of "{timestamp}.{body}"). Only public addresses unless PARLEY_WEBHOOK_ALLOW_PRIVATE=on (a refused URL: 400 naming url).`,
          security,
        },
      },
    )
    .delete(
      "/:webhook_id/",
      async ({ user, params, set }) => {
        await outgoing.deleteOutgoing(ctx, user, params.conversation_id, params.webhook_id);
        set.status = 204;
      },
      {
        params: webhookParams,
        response: { 204: t.Void(), ...errorResponses(403) },
        detail: { summary: "Delete an outgoing webhook and its queue", description: outgoingWho, security },
      },
    )
    .get("/:webhook_id/deliveries/", ({ user, params }) => outgoing.listDeliveries(ctx, user, params.conversation_id, params.webhook_id), {
      params: webhookParams,
      response: { 200: t.Array(Delivery), ...errorResponses(403) },
      detail: { summary: "The webhook's last 100 deliveries, newest first: status, attempts, last error, response time", description: outgoingWho, security },
    })
    .post(
      "/:webhook_id/deliveries/:delivery_id/retry/",
      ({ user, params }) => outgoing.retryDelivery(ctx, user, params.conversation_id, params.webhook_id, params.delivery_id),
      {
        params: deliveryParams,
        response: { 200: OutgoingWebhook, ...errorResponses(403) },
        detail: { summary: "Retry a delivery now (a disabled webhook is turned back on)", description: outgoingWho, security },
      },
    );
