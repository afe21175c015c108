// Where Web Push may POST, checked when sending (DNS can change after subscribing) by the outgoing webhooks' rule
// (src/lib/destinations.ts): an endpoint whose name resolves to a loopback, private, link-local... address, or that is
// such an address, is refused, and its subscription removed, logged once without the endpoint's path. With
// PARLEY_PUSH_ALLOW_HTTP=on (a local stand-in push service) such addresses are allowed, and the POST goes to the
// address checked with the endpoint's Host. A sender of our own runs on the app's database with a resolver of ours
// (the names below are not in DNS) and a logger we read; the recipient keeps a socket open so the app's sender stays out.
import { describe, expect, test } from "bun:test";
import { directWith, sendText } from "../chat-helpers";
import { listen, queryRows, registerUser, type TestUser } from "../helpers";
import { connect, type TestSocket } from "../ws-helpers";
import { createLogger } from "../../src/lib/log";
import type { MessageView } from "../../src/modules/messages/model";
import { PushSender } from "../../src/modules/push/sender";
import { loadOrCreateVapidKeys } from "../../src/modules/push/service";
import { browserSubscription, decryptPush, startPushService, verifyVapid } from "./push-service";

const pushService = startPushService();
const { server, api, config } = await listen({ pushAllowHttp: true });
const { ctx } = server.parley;
const keys = await loadOrCreateVapidKeys(ctx.db);

/** Names only this test knows: an internal one, and one with a public and an internal address. */
const names: Record<string, string[]> = {
  "push.internal.test": ["127.0.0.1"],
  "push.mixed.test": ["93.184.215.14", "10.1.2.3"],
};

function sender(allowPrivate: boolean) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("debug", (line) => lines.push(JSON.parse(line)));
  const push = new PushSender({
    db: ctx.db,
    reader: ctx.reader,
    log,
    keys,
    subject: config.pushSubject,
    online: async () => new Set(),
    allowPrivate,
    resolver: async (host) => names[host] ?? [],
    retryDelayMs: 10,
  });
  return { push, lines };
}

/** A recipient with a socket open (the app's own sender leaves them alone), subscribed at each of `endpoints`. */
async function recipient(endpoints: string[]): Promise<{ bob: TestUser; socket: TestSocket; browsers: Awaited<ReturnType<typeof browserSubscription>>[] }> {
  const bob = await registerUser(api, "bob");
  const socket = await connect(server.url, bob.access);
  const browsers = [];
  for (const endpoint of endpoints) {
    const browser = await browserSubscription(endpoint);
    expect((await api("POST", "/api/push/subscriptions/", { token: bob.access, body: { endpoint, keys: browser.keys } })).status).toBe(201);
    browsers.push(browser);
  }
  return { bob, socket, browsers };
}

const subscriptions = (user: TestUser) =>
  queryRows<{ endpoint: string }>(server.parley, "SELECT endpoint FROM push_subscriptions WHERE user_id = ?", [user.id]);
/** `endpoint` on the stand-in push service, under another host name. */
const named = (endpoint: string, host: string) => endpoint.replace("127.0.0.1", host);

describe("Web Push endpoints are checked when sending", () => {
  test("a name resolving to an internal address, a mixed one, or an address literal: refused, removed, logged once without the path", async () => {
    const alice = await registerUser(api, "alice");
    const literal = pushService.endpoint();
    const { bob, socket } = await recipient([named(pushService.endpoint(), "push.internal.test"), named(pushService.endpoint(), "push.mixed.test"), literal]);
    const message = (await sendText(api, alice, await directWith(api, alice, bob), "hello")) as MessageView;
    const { push, lines } = sender(false);
    push.messageCreated(message);
    await push.settled();
    expect(await subscriptions(bob)).toEqual([]);
    expect({ removed: push.removed, sent: push.sent, failed: push.failed }).toEqual({ removed: 3, sent: 0, failed: 0 });
    expect(pushService.to(literal)).toEqual([]); // the stand-in on 127.0.0.1 heard nothing
    expect(lines.map((line) => [line.msg, line.service, line.reason]).sort()).toEqual([
      ["web push endpoint refused; subscription removed", `127.0.0.1:${new URL(literal).port}`, "127.0.0.1 resolves to an address that is not public."],
      [
        "web push endpoint refused; subscription removed",
        `push.internal.test:${new URL(literal).port}`,
        "push.internal.test resolves to an address that is not public.",
      ],
      [
        "web push endpoint refused; subscription removed",
        `push.mixed.test:${new URL(literal).port}`,
        "push.mixed.test resolves to an address that is not public.",
      ],
    ]);
    expect(JSON.stringify(lines)).not.toContain("/push/");
    await socket.close();
  });

  test("a name that does not resolve is not taken for gone: retried, then given up, the subscription kept", async () => {
    const alice = await registerUser(api, "alice");
    const { bob, socket } = await recipient(["https://push.unknown.test/push/secret"]);
    const message = (await sendText(api, alice, await directWith(api, alice, bob), "hello")) as MessageView;
    const { push, lines } = sender(false);
    push.messageCreated(message);
    await push.settled();
    expect({ removed: push.removed, sent: push.sent, failed: push.failed }).toEqual({ removed: 0, sent: 0, failed: 1 });
    expect((await subscriptions(bob)).length).toBe(1);
    expect(lines.map((line) => [line.msg, line.error])).toEqual([["web push not delivered", "does not resolve"]]);
    await socket.close();
  });

  test("PARLEY_PUSH_ALLOW_HTTP=on: the local stand-in is reached at the address checked, with the endpoint's Host", async () => {
    const alice = await registerUser(api, "alice");
    const endpoint = named(pushService.endpoint(), "push.internal.test");
    const { bob, socket, browsers } = await recipient([endpoint]);
    const message = (await sendText(api, alice, await directWith(api, alice, bob), "through the stand-in")) as MessageView;
    const { push } = sender(true);
    push.messageCreated(message);
    await push.settled();
    expect(push.sent).toBe(1);
    const [received] = pushService.to(endpoint);
    expect(received!.headers.get("host")).toBe(new URL(endpoint).host);
    await verifyVapid(received!.headers.get("authorization"), keys.publicKey, endpoint);
    expect(JSON.parse(await decryptPush(browsers[0]!, received!.body)).excerpt).toBe("through the stand-in");
    await socket.close();
  });
});
