import { t } from "elysia";
import { pathId } from "../../lib/schemas";

export const conversationParams = t.Object({ conversation_id: pathId("A conversation id") });
export const webhookParams = t.Object({ conversation_id: pathId("A conversation id"), webhook_id: pathId("A webhook id") });
export const hookParams = t.Object({ webhook_id: pathId("The webhook's id"), secret: t.String({ description: "The webhook's secret, from its URL." }) });

const name = t.String({ minLength: 1, maxLength: 100, error: "Give the webhook a name (up to 100 characters)." });
export const incomingBody = t.Object({ name });

export const IncomingWebhook = t.Object(
  {
    id: t.Integer(),
    conversation_id: t.Integer(),
    name: t.String(),
    bot: t.Object({ id: t.Integer(), username: t.String() }, { description: "The bot account its posts come from." }),
    created_by: t.Nullable(t.Integer()),
    created_at: t.String({ format: "date-time" }),
  },
  { title: "IncomingWebhook" },
);
export type IncomingWebhookView = typeof IncomingWebhook.static;

export const IncomingWebhookSecret = t.Object(
  {
    ...IncomingWebhook.properties,
    url: t.String({ description: "POST Slack-style payloads here; shown this once (only the secret's hash is kept): rotate to get a new one." }),
    path: t.String({ description: "The URL's path, /hooks/{id}/{secret}, for a server known by another name." }),
  },
  { title: "IncomingWebhookSecret" },
);

const text = (description: string) => ({ "text/plain": { schema: { type: "string", description } } });
const errorJson = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };

/** Slack's answers (text/plain), and the API's JSON ones for what is refused before the payload is read. */
export const hookResponses = {
  200: { description: "Posted: the body is `ok`, as Slack answers.", content: text("ok") },
  400: {
    description:
      "`invalid_payload` (not a JSON object, or not one of Slack's shapes) or `no_text` (nothing to show). A chunked body that is not JSON gets the API's JSON error.",
    content: {
      ...text("Slack's error code"),
      "application/json": { schema: { oneOf: [{ $ref: "#/components/schemas/FieldErrors" }, { $ref: "#/components/schemas/Error" }] } },
    },
  },
  404: {
    description: "`no_service`: no such webhook, a wrong secret, or a deleted one. `channel_not_found`: its bot is no longer in the conversation.",
    content: { ...text("Slack's error code"), ...errorJson },
  },
  413: {
    description: "`msg_too_long`: longer than a message may be. A body above the server's JSON limit gets the API's JSON error.",
    content: { ...text("Slack's error code"), ...errorJson },
  },
  429: {
    description: "`rate_limited`: too many posts to this webhook.",
    headers: { "Retry-After": { description: "Whole seconds to wait before trying again.", required: true, schema: { type: "integer", minimum: 1 } } },
    content: text("Slack's error code"),
  },
};

/** Told privately to whoever made an outgoing webhook when it is disabled. */
export const webhookDisabledEvent = t.Object({
  webhook_id: t.Integer(),
  url: t.String(),
  reason: t.String({ description: "Why: which delivery failed for how long, and its last error." }),
});

export const SUBSCRIPTIONS = ["message.created", "message.mentioned", "message.updated", "message.deleted", "member"] as const;
export type Subscription = (typeof SUBSCRIPTIONS)[number];
const subscription = t.UnionEnum(SUBSCRIPTIONS);

export const outgoingBody = t.Object({
  url: t.String({ minLength: 1, maxLength: 2000, error: "Give an http:// or https:// URL." }),
  events: t.Array(subscription, {
    minItems: 1,
    maxItems: 5,
    error: "events: one or more of message.created, message.mentioned, message.updated, message.deleted, member.",
    description:
      "message.created: every new message; message.mentioned: new messages mentioning bot_id; message.updated, message.deleted; member: member.joined, member.left, member.updated.",
  }),
  bot_id: t.Optional(
    t.Nullable(
      t.Integer({
        description: 'A bot member of the conversation: whose mentions message.mentioned follows, and who posts the receiver\'s `{"text"}` replies.',
      }),
    ),
  ),
});
export const OutgoingWebhook = t.Object(
  {
    id: t.Integer(),
    conversation_id: t.Integer(),
    url: t.String(),
    events: t.Array(subscription),
    bot_id: t.Nullable(t.Integer()),
    created_by: t.Nullable(t.Integer()),
    created_at: t.String({ format: "date-time" }),
    disabled_at: t.Nullable(t.String({ format: "date-time", description: "Set when deliveries kept failing past PARLEY_WEBHOOK_GIVE_UP (a day)." })),
    disabled_reason: t.Nullable(t.String()),
  },
  { title: "OutgoingWebhook" },
);
export type OutgoingWebhookView = typeof OutgoingWebhook.static;
export const OutgoingWebhookSecret = t.Object(
  { ...OutgoingWebhook.properties, secret: t.String({ description: "The HMAC-SHA256 key of X-Parley-Signature; shown this once." }) },
  { title: "OutgoingWebhookSecret" },
);
export const Delivery = t.Object(
  {
    id: t.Integer(),
    event_seq: t.Integer(),
    event_type: t.String(),
    status: t.Union([t.Literal("pending"), t.Literal("delivered"), t.Literal("failed")]),
    attempts: t.Integer(),
    created_at: t.String({ format: "date-time" }),
    last_attempt_at: t.Nullable(t.String({ format: "date-time" })),
    next_attempt_at: t.Nullable(t.String({ format: "date-time" })),
    last_status: t.Nullable(t.Integer({ description: "The receiver's HTTP status." })),
    last_error: t.Nullable(t.String()),
    response_ms: t.Nullable(t.Integer()),
  },
  { title: "WebhookDelivery" },
);
export type DeliveryView = typeof Delivery.static;
export const deliveryParams = t.Object({
  conversation_id: pathId("A conversation id"),
  webhook_id: pathId("A webhook id"),
  delivery_id: pathId("A delivery id"),
});
