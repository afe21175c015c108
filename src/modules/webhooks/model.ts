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
