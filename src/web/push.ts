// Web Push from the page: the service worker at /sw.js shows pushes while Parley is closed. Enabling registers it,
// asks the person's permission, subscribes with the server's VAPID key and gives the server the subscription;
// disabling (and logging out) takes it back. Its control is in Settings (account-view.ts).
import type { ParleyClient, PushSubscriptionBody } from "../client";
import { h } from "./dom";

export type WebPushState = "enabled" | "disabled" | "denied" | "unsupported";

const supported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

const fromBase64url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = supported() ? await navigator.serviceWorker.getRegistration("/") : undefined;
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/** Subscribes this browser (asking permission if need be) and tells the server; `denied` if the person said no. */
export async function enableWebPush(client: ParleyClient): Promise<WebPushState> {
  if (!supported()) return "unsupported";
  if ((await Notification.requestPermission()) !== "granted") return "denied";
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  const registration = await navigator.serviceWorker.ready;
  const key = fromBase64url((await client.pushKey()).public_key);
  let subscription = await registration.pushManager.getSubscription();
  const subscribedKey = subscription?.options.applicationServerKey;
  // Subscribed with another server's key (a new data dir): that subscription cannot carry our pushes.
  if (subscription && (!subscribedKey || new Uint8Array(subscribedKey).toString() !== key.toString())) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await client.subscribePush(subscription.toJSON() as PushSubscriptionBody);
  return "enabled";
}

/** Unsubscribes this browser here and on the server (before logging out: pushes follow the login). */
export async function disableWebPush(client: ParleyClient): Promise<void> {
  const subscription = await currentSubscription().catch(() => null);
  if (!subscription) return;
  await client.unsubscribePush(subscription.endpoint).catch(() => undefined);
  await subscription.unsubscribe();
}

/** Where this browser stands: subscribed, never asked or turned off, refused, or unable. */
async function webPushState(): Promise<WebPushState> {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  return Notification.permission === "granted" && (await currentSubscription()) ? "enabled" : "disabled";
}

const LABELS: Record<WebPushState, string> = {
  enabled: "Turn off notifications",
  disabled: "Enable notifications",
  denied: "Notifications blocked",
  unsupported: "Notifications unavailable",
};

/** A button turning Web Push on and off (in Settings). */
export function webPushControl(client: ParleyClient): HTMLElement {
  const button = h("button", { type: "button", "aria-pressed": "false" }, LABELS.disabled);
  const show = (state: WebPushState) => {
    button.textContent = LABELS[state];
    button.setAttribute("aria-pressed", String(state === "enabled"));
    button.disabled = state === "denied" || state === "unsupported";
    button.title = state === "denied" ? "Allow notifications for this site in the browser's settings" : "";
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    const on = button.getAttribute("aria-pressed") === "true";
    show(await (on ? disableWebPush(client).then(webPushState) : enableWebPush(client)).catch(webPushState));
  });
  void webPushState().then(show);
  return button;
}

/**
 * At login: a subscription made before is given to the server again (it follows this login: a new login after "log out
 * everywhere" needs it), and a click on a notification opens its conversation.
 */
export function resumeWebPush(client: ParleyClient) {
  void webPushState().then(async (state) => {
    if (state !== "enabled") return;
    const subscription = await currentSubscription();
    if (subscription) await client.subscribePush(subscription.toJSON() as PushSubscriptionBody).catch(() => undefined);
  });
  if (supported() && !listening) {
    listening = true;
    navigator.serviceWorker.addEventListener("message", (event) => {
      const hash = event.data?.type === "open" ? String(event.data.hash) : "";
      if (/^#\/c\/\d+$/.test(hash)) location.hash = hash;
    });
  }
}

let listening = false;
