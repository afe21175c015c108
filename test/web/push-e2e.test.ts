// Web Push in Chromium: the page's "Enable notifications" registers /sw.js and subscribes; Parley pushes a direct
// message to the stand-in push service; the service worker, handed that push through the DevTools protocol, shows the
// notification, and a click on it opens the conversation. Offline, Chromium cannot reach its vendor push service, so
// `pushManager.subscribe` (the browser's half that talks to it) is replaced by an init script that makes the
// subscription's keys itself with Web Crypto and names the stand-in as the endpoint; everything of Parley is real.
// A persistent context: Chromium has no Push API in incognito contexts, which browser.newContext() makes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { directWith, sendText } from "../chat-helpers";
import { listen, queryRows, registerUser, tempDir } from "../helpers";
import { decryptPush, startPushService, type BrowserSubscription } from "../push/push-service";
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, checkChromium, eventually, shown, unnamedControls, watchPage } from "./browser-helpers";

const STEP = 30_000;

/** Stands in for the browser's push service registration (see the top of this file); state kept in localStorage. */
function fakePushManager(endpoint: string) {
  const b64url = (bytes: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const fromB64url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const restore = (stored: { endpoint: string; p256dh: string; auth: string; serverKey: string }) => ({
    endpoint: stored.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: fromB64url(stored.serverKey).buffer },
    toJSON: () => ({ endpoint: stored.endpoint, expirationTime: null, keys: { p256dh: stored.p256dh, auth: stored.auth } }),
    unsubscribe: async () => {
      localStorage.removeItem("test.push");
      return true;
    },
  });
  PushManager.prototype.getSubscription = async () => {
    const stored = localStorage.getItem("test.push");
    return (stored ? restore(JSON.parse(stored)) : null) as never;
  };
  PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
    const stored = {
      endpoint,
      p256dh: b64url(await crypto.subtle.exportKey("raw", pair.publicKey)),
      auth: b64url(crypto.getRandomValues(new Uint8Array(16)).buffer),
      serverKey: b64url((options!.applicationServerKey as Uint8Array<ArrayBuffer>).buffer),
      privateJwk: await crypto.subtle.exportKey("jwk", pair.privateKey),
    };
    localStorage.setItem("test.push", JSON.stringify(stored));
    return restore(stored) as never;
  };
}

/** The Settings dialog, where "Enable notifications" lives. */
async function openSettings(page: Page) {
  await page.getByRole("button", { name: "Settings", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await shown(dialog);
  return dialog;
}

describe("Web Push in Chromium", async () => {
  const pushService = startPushService();
  const { server, api } = await listen({ pushAllowHttp: true });
  const erin = await registerUser(api, "erin");
  const fred = await registerUser(api, "fred");
  const endpoint = pushService.endpoint();
  let context: BrowserContext;
  let page: Page;
  let watch: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    checkChromium();
    context = await chromium.launchPersistentContext(tempDir(), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1000, height: 700 } });
    await context.grantPermissions(["notifications"], { origin: server.url });
    await context.addInitScript(fakePushManager, endpoint);
    page = context.pages()[0] ?? (await context.newPage());
    watch = watchPage(page);
    await page.goto(server.url);
    await page.getByLabel("Email").fill(erin.email);
    await page.getByLabel("Password").fill(erin.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await shown(page.getByRole("button", { name: "Log out" }));
  }, STEP);
  afterAll(async () => {
    await context?.close();
  });

  const rows = () => queryRows<{ endpoint: string }>(server.parley, "SELECT endpoint FROM push_subscriptions WHERE user_id = ?", [erin.id]);

  test(
    '"Enable notifications" registers the service worker, subscribes with the server\'s key and gives Parley the subscription',
    async () => {
      const settings = await openSettings(page);
      const enable = settings.getByRole("button", { name: "Enable notifications" });
      await shown(enable);
      expect(await unnamedControls(page)).toEqual([]);
      await enable.click();
      await shown(settings.getByRole("button", { name: "Turn off notifications" }));
      expect(await settings.getByRole("button", { name: "Turn off notifications" }).getAttribute("aria-pressed")).toBe("true");
      expect(await rows()).toEqual([{ endpoint }]);
      const registered = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration("/"))?.active?.scriptURL);
      expect(registered).toBe(`${server.url}/sw.js`);
      const serverKey = (await api("GET", "/api/push/key/")).body.public_key;
      expect(JSON.parse((await page.evaluate(() => localStorage.getItem("test.push")))!).serverKey).toBe(serverKey);
      await page.screenshot({ path: join(ARTIFACTS, "push-enabled.png") });
    },
    STEP,
  );

  test(
    "with the page closed, a direct message is pushed; the service worker shows it, and a click opens the conversation",
    async () => {
      const stored = JSON.parse((await page.evaluate(() => localStorage.getItem("test.push")))!);
      await page.close(); // no socket of erin's is left: Parley pushes
      await eventually(() => expect(server.parley.ctx.hub.isOnline(erin.id)).toBe(false));
      const dm = await directWith(api, fred, erin);
      await sendText(api, fred, dm, "Are you coming to the review?");
      await server.parley.ctx.push.settled();
      const [received] = pushService.to(endpoint);
      expect(received).toBeDefined();
      // What the browser would do with it: decrypt with the subscription's private key (made in the page).
      const privateKey = await crypto.subtle.importKey("jwk", stored.privateJwk, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
      const subscription: BrowserSubscription = { endpoint, keys: { p256dh: stored.p256dh, auth: stored.auth }, privateKey };
      const plaintext = await decryptPush(subscription, received!.body);
      expect(JSON.parse(plaintext)).toMatchObject({ conversation_id: dm, sender: "fred Test", excerpt: "Are you coming to the review?" });

      // The service worker gets that push (as the browser's push service would hand it over) and shows it.
      page = await context.newPage();
      watch = watchPage(page);
      await page.goto(server.url);
      await shown((await openSettings(page)).getByRole("button", { name: "Turn off notifications" }));
      await page.keyboard.press("Escape");
      const cdp = await context.newCDPSession(page);
      const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> = [];
      cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => registrations.push(...event.registrations));
      await cdp.send("ServiceWorker.enable");
      const registration = await eventually(() => {
        const found = registrations.find((r) => !r.isDeleted && r.scopeURL === `${server.url}/`);
        expect(found).toBeDefined();
        return found!;
      });
      // The newest worker of /sw.js (the first page's may have been stopped and started again since).
      const currentWorker = () => context.serviceWorkers().findLast((w) => w.url() === `${server.url}/sw.js`)!;
      // Asked in the worker: headless Chromium keeps its notifications there, not on the screen.
      const notifications = () =>
        currentWorker().evaluate(async () =>
          (await (self as unknown as { registration: ServiceWorkerRegistration }).registration.getNotifications()).map((n) => ({
            title: n.title,
            body: n.body,
            tag: n.tag,
            url: n.data?.url,
          })),
        );
      // Delivered again if nothing showed within 2 s: a delivery that meets the worker while it starts can be lost
      // (the DevTools side of the test, not the worker's handler; the tag keeps it to one notification).
      let shownNotifications: Awaited<ReturnType<typeof notifications>> = [];
      for (let attempt = 0; attempt < 4 && shownNotifications.length === 0; attempt++) {
        await cdp.send("ServiceWorker.deliverPushMessage", { origin: `${server.url}/`, registrationId: registration.registrationId, data: plaintext });
        shownNotifications = await eventually(async () => {
          const list = await notifications();
          expect(list.length).toBe(1);
          return list;
        }, 2_000).catch(() => []);
      }
      expect(shownNotifications).toEqual([{ title: "fred Test", body: "Are you coming to the review?", tag: `conversation-${dm}`, url: `/#/c/${dm}` }]);

      // A click on it (dispatched in the worker: headless Chromium shows no notification to click) opens the conversation.
      await currentWorker().evaluate(async () => {
        const scope = self as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(event: Event): boolean };
        const [notification] = await scope.registration.getNotifications();
        const NotificationEventClass = (self as unknown as { NotificationEvent: new (type: string, init: { notification: Notification }) => Event })
          .NotificationEvent;
        try {
          scope.dispatchEvent(new NotificationEventClass("notificationclick", { notification: notification! }));
        } catch {} // waitUntil refuses a script-made event; the handler's work is already under way
      });
      await eventually(() => expect(new URL(page.url()).hash).toBe(`#/c/${dm}`));
      await shown(page.getByRole("log", { name: "Conversation history" }).getByText("Are you coming to the review?"));
      expect(watch.problems).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "push-notification-opened.png") });
    },
    STEP,
  );

  test(
    '"Turn off notifications" unsubscribes here and on the server',
    async () => {
      const settings = await openSettings(page);
      await settings.getByRole("button", { name: "Turn off notifications" }).click();
      await shown(settings.getByRole("button", { name: "Enable notifications" }));
      expect(await rows()).toEqual([]);
    },
    STEP,
  );
});
