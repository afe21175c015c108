// Web Push subscriptions: the server's VAPID key pair (made on first start, kept in the shared settings so every node
// signs with the same one), and each user's browsers, at most MAX_SUBSCRIPTIONS_PER_USER (the oldest make room).
import { isIP } from "node:net";
import { generateKeyPairSync } from "node:crypto";
import type { AppContext } from "../../context";
import type { Db } from "../../db";
import { sharedSetting } from "../../db/settings";
import { invalidField } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import type { PushSubscriptionView, SubscribeBody, VapidKeys } from "./model";
import * as repo from "./repository";

export const MAX_SUBSCRIPTIONS_PER_USER = 10;

/** A new P-256 key pair in web-push's format (made here: loading web-push costs every start, even a CLI command's). */
function newVapidKeys(): VapidKeys {
  const jwk = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  return { publicKey: point.toString("base64url"), privateKey: jwk.d! };
}

/** The VAPID key pair every node shares: the first node to start makes it; the others read it. */
export async function loadOrCreateVapidKeys(db: Db): Promise<VapidKeys> {
  const stored = JSON.parse(await sharedSetting(db, "vapid_keys", () => JSON.stringify(newVapidKeys()))) as VapidKeys;
  if (Buffer.from(stored.publicKey, "base64url").length !== 65 || Buffer.from(stored.privateKey, "base64url").length !== 32)
    throw new Error('The stored VAPID keys (settings "vapid_keys") are not a P-256 key pair');
  return stored;
}

/**
 * Where Parley will POST: an https URL (http only with PARLEY_PUSH_ALLOW_HTTP, for a local stand-in), with no
 * credentials, and, unless allowed as well, not an address literal or localhost (push services have public names).
 */
function checkEndpoint(endpoint: string, allowHttp: boolean): void {
  const refuse = (why: string): never => invalidField("endpoint", why);
  const url = URL.parse(endpoint) ?? refuse("The endpoint must be an absolute URL.");
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) refuse("The endpoint must be an https URL.");
  if (url.username || url.password) refuse("The endpoint must not carry credentials.");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!allowHttp && (isIP(host) !== 0 || host === "localhost" || host.endsWith(".localhost"))) refuse("The endpoint must name a push service, not an address.");
}

/** The browser's key must be a point on P-256 (the encryption needs it); the pattern in the model checked its length. */
async function checkBrowserKey(p256dh: string): Promise<void> {
  try {
    await crypto.subtle.importKey("raw", Buffer.from(p256dh, "base64url"), { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch {
    invalidField("keys", "keys.p256dh is not a P-256 public key.");
  }
}

/** Saves the caller's subscription (again: renewed, 200); past the cap the oldest of theirs goes. */
export async function subscribe(ctx: AppContext, user: AuthUser, body: SubscribeBody): Promise<{ view: PushSubscriptionView; created: boolean }> {
  checkEndpoint(body.endpoint, ctx.config.pushAllowHttp);
  await checkBrowserKey(body.keys.p256dh);
  const now = Date.now();
  const { id, created } = await repo.saveSubscription(ctx.db, {
    user_id: user.id,
    endpoint: body.endpoint,
    p256dh: body.keys.p256dh,
    auth: body.keys.auth,
    generation: user.token.gen,
    created_at: now,
  });
  await repo.evictOldest(ctx.db, user.id, MAX_SUBSCRIPTIONS_PER_USER);
  return { view: { id, created_at: new Date(now).toISOString() }, created };
}

/** Forgets the caller's subscription for this endpoint (nothing to forget is fine: the same answer). */
export async function unsubscribe(ctx: AppContext, user: AuthUser, endpoint: string): Promise<void> {
  await repo.deleteSubscription(ctx.db, user.id, endpoint);
}
