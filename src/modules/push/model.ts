// The Web Push API's shapes: the server's VAPID key, and a browser's PushSubscription as `toJSON()` gives it.
import { t } from "elysia";

/** base64url without padding: what PushSubscription.toJSON() and applicationServerKey use. */
const base64url = (description: string, length: number, error: string) => t.String({ pattern: `^[A-Za-z0-9_-]{${length}}$`, description, error });

export const PushKey = t.Object(
  {
    public_key: t.String({
      description: "The server's VAPID public key (P-256, uncompressed point), base64url: the `applicationServerKey` to subscribe with.",
    }),
  },
  { title: "PushKey" },
);

export const subscribeBody = t.Object(
  {
    endpoint: t.String({
      maxLength: 2048,
      description: "The push service URL the browser was given (https).",
      error: "Give the subscription's endpoint URL.",
    }),
    keys: t.Object({
      // 65 bytes (an uncompressed P-256 point) and 16 bytes, base64url without padding.
      p256dh: base64url("The browser's P-256 public key, base64url.", 87, "keys.p256dh must be a P-256 public key (65 bytes, base64url)."),
      auth: base64url("The browser's 16-byte auth secret, base64url.", 22, "keys.auth must be a 16-byte secret, base64url."),
    }),
    expirationTime: t.Optional(
      t.Nullable(t.Number({ description: "Ignored (browsers send it; Parley drops a subscription when its push service says it is gone)." })),
    ),
  },
  { title: "PushSubscriptionBody" },
);
export type SubscribeBody = typeof subscribeBody.static;

export const unsubscribeBody = t.Object(
  { endpoint: t.String({ maxLength: 2048, error: "Give the subscription's endpoint URL." }) },
  { title: "PushUnsubscribeBody" },
);

export const PushSubscription = t.Object(
  {
    id: t.Integer(),
    created_at: t.String({ format: "date-time", description: "When this browser (re)subscribed." }),
  },
  { title: "PushSubscription" },
);
export type PushSubscriptionView = typeof PushSubscription.static;

/** What a push carries, encrypted: nothing more (README "Web Push"). */
export interface PushPayload {
  conversation_id: number;
  message_id: number;
  sender: string;
  excerpt: string;
}

/** The server's VAPID key pair, as web-push makes it. */
export interface VapidKeys {
  /** base64url of the uncompressed P-256 point (65 bytes). */
  publicKey: string;
  /** base64url of the private scalar (32 bytes). */
  privateKey: string;
}
