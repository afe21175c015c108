// Web Push end to end without the internet: a stand-in push service receives Parley's requests, checks the VAPID
// token and decrypts the payload with its own Web Crypto code (push-service.ts), never the library Parley uses.
import { describe, expect, test } from "bun:test";
import { createGroup, directWith, sendText, waitFor } from "../chat-helpers";
import { listen, queryRows, registerUser, type TestUser } from "../helpers";
import { connect } from "../ws-helpers";
import { browserSubscription, decryptPush, startPushService, verifyVapid, type BrowserSubscription } from "./push-service";

const pushService = startPushService();
const { server, api } = await listen({ pushAllowHttp: true });
const push = server.parley.ctx.push;
const serverKey = (await api("GET", "/api/push/key/")).body.public_key as string;

async function subscribed(name: string): Promise<{ user: TestUser; browser: BrowserSubscription }> {
  const user = await registerUser(api, name);
  const browser = await browserSubscription(pushService.endpoint());
  const answer = await api("POST", "/api/push/subscriptions/", { token: user.access, body: { endpoint: browser.endpoint, keys: browser.keys } });
  expect(answer.status).toBe(201);
  return { user, browser };
}

/** Sends, then waits until Parley has finished every push it started for it. */
async function sendAndSettle(user: TestUser, conversationId: number, text: string) {
  const message = await sendText(api, user, conversationId, text);
  await push.settled();
  return message;
}

/** The one push `browser` received, checked and decrypted. */
async function onlyPushTo(browser: BrowserSubscription): Promise<Record<string, unknown>> {
  const received = pushService.to(browser.endpoint);
  expect(received.length).toBe(1);
  const [request] = received as [(typeof received)[0]];
  await verifyVapid(request.headers.get("authorization"), serverKey, browser.endpoint);
  expect(request.headers.get("content-encoding")).toBe("aes128gcm");
  expect(Number(request.headers.get("ttl"))).toBeGreaterThan(0);
  expect(request.headers.get("urgency")).toBe("high");
  return JSON.parse(await decryptPush(browser, request.body));
}

const subscriptionRows = (user: TestUser) => queryRows(server.parley, "SELECT id FROM push_subscriptions WHERE user_id = ?", [user.id]);

describe("Web Push for a committed message", () => {
  test("a direct message to a user with no socket: one push, VAPID-signed, holding only conversation, message, sender and excerpt", async () => {
    const alice = await registerUser(api, "alice");
    const { user: bob, browser } = await subscribed("bob");
    const dm = await directWith(api, alice, bob);
    const long = `Lunch at noon? ${"very ".repeat(40)}long`;
    const message = await sendAndSettle(alice, dm, long);
    const payload = await onlyPushTo(browser);
    expect(Object.keys(payload).sort()).toEqual(["conversation_id", "excerpt", "message_id", "sender"]);
    expect(payload.conversation_id).toBe(dm);
    expect(payload.message_id).toBe(message.id);
    expect(payload.sender).toBe("alice Test");
    expect([...(payload.excerpt as string)].length).toBe(100);
    expect(payload.excerpt as string).toStartWith("Lunch at noon? very");
    expect(payload.excerpt as string).toEndWith("…");
  });

  test("a mention in a group pushes to the mentioned; an ordinary group message pushes to nobody", async () => {
    const alice = await registerUser(api, "alice");
    const { user: carol, browser: carols } = await subscribed("carol");
    const { user: dave, browser: daves } = await subscribed("dave");
    const group = await createGroup(api, alice, [carol.id, dave.id]);
    await sendAndSettle(alice, group.id, "good morning all");
    expect(pushService.to(carols.endpoint)).toEqual([]);
    expect(pushService.to(daves.endpoint)).toEqual([]);
    await sendAndSettle(alice, group.id, `@${carol.username} can you look at this?`);
    expect((await onlyPushTo(carols)).excerpt).toBe(`@${carol.username} can you look at this?`);
    expect(pushService.to(daves.endpoint)).toEqual([]);
  });

  test("no push to a user with an open socket, nor to the sender", async () => {
    const { user: alice, browser: alices } = await subscribed("alice");
    const { user: bob, browser: bobs } = await subscribed("bob");
    const dm = await directWith(api, alice, bob);
    const socket = await connect(server.url, bob.access);
    try {
      await sendAndSettle(alice, dm, "you are online");
      await socket.next((f) => f.type === "message.created");
    } finally {
      await socket.close();
    }
    expect(pushService.to(bobs.endpoint)).toEqual([]);
    expect(pushService.to(alices.endpoint)).toEqual([]);
    // Closed, the same send pushes (so the silence above was the socket's doing).
    expect(await waitFor(() => !server.parley.ctx.hub.isOnline(bob.id))).toBe(true);
    await sendAndSettle(alice, dm, "now you are not");
    expect((await onlyPushTo(bobs)).excerpt).toBe("now you are not");
  });

  test("a muted conversation pushes nothing, mentions included; unmuted, it pushes again", async () => {
    const alice = await registerUser(api, "alice");
    const { user: bob, browser } = await subscribed("bob");
    const dm = await directWith(api, alice, bob);
    expect((await api("POST", `/api/conversations/${dm}/mute/`, { token: bob.access })).status).toBe(200);
    await sendAndSettle(alice, dm, "muted, so quiet");
    await sendAndSettle(alice, dm, `@${bob.username} still muted`);
    expect(pushService.to(browser.endpoint)).toEqual([]);
    expect((await api("DELETE", `/api/conversations/${dm}/mute/`, { token: bob.access })).status).toBe(200);
    await sendAndSettle(alice, dm, `@${bob.username} now this is for you`);
    expect((await onlyPushTo(browser)).excerpt).toBe(`@${bob.username} now this is for you`);
  });

  test("a subscription the push service calls gone (404 or 410) is removed", async () => {
    const alice = await registerUser(api, "alice");
    for (const status of [404, 410]) {
      const { user: bob, browser } = await subscribed("bob");
      pushService.script(browser.endpoint, { status });
      await sendAndSettle(alice, await directWith(api, alice, bob), "are you there?");
      expect(pushService.to(browser.endpoint).length).toBe(1);
      expect(await subscriptionRows(bob)).toEqual([]);
    }
  });

  test("500 and 429 are retried (429 after its Retry-After) until the push service takes it", async () => {
    const alice = await registerUser(api, "alice");
    const { user: bob, browser } = await subscribed("bob");
    pushService.script(browser.endpoint, { status: 500 }, { status: 429, headers: { "retry-after": "0" } });
    const sentBefore = push.sent;
    await sendAndSettle(alice, await directWith(api, alice, bob), "third time lucky");
    const attempts = pushService.to(browser.endpoint);
    expect(attempts.length).toBe(3);
    expect(new Set(attempts.map((a) => Buffer.from(a.body).toString("hex"))).size).toBe(1); // the same push, again
    expect(JSON.parse(await decryptPush(browser, attempts[2]!.body)).excerpt).toBe("third time lucky");
    expect(push.sent).toBe(sentBefore + 1);
    expect((await subscriptionRows(bob)).length).toBe(1);
  });

  test("a burst in one conversation while a push is under way is pushed as its newest message", async () => {
    const alice = await registerUser(api, "alice");
    const { user: bob, browser } = await subscribed("bob");
    const dm = await directWith(api, alice, bob);
    pushService.script(browser.endpoint, { status: 201, afterMs: 300 });
    await sendText(api, alice, dm, "first");
    expect(await waitFor(() => pushService.to(browser.endpoint).length === 1)).toBe(true); // under way, answered in 300 ms
    for (const text of ["second", "third", "fourth"]) await sendText(api, alice, dm, text);
    await push.settled();
    const received = pushService.to(browser.endpoint);
    expect(received.length).toBe(2);
    expect(JSON.parse(await decryptPush(browser, received[0]!.body)).excerpt).toBe("first");
    expect(JSON.parse(await decryptPush(browser, received[1]!.body)).excerpt).toBe("fourth");
  });

  test("a new password ends the sessions, and the pushes: the old subscription is removed unsent", async () => {
    const alice = await registerUser(api, "alice");
    const { user: bob, browser } = await subscribed("bob");
    const changed = await api("PATCH", `/api/${bob.id}/update/`, {
      token: bob.access,
      body: { password: "another good password", current_password: bob.password },
    });
    expect(changed.status).toBe(200);
    await sendAndSettle(alice, await directWith(api, alice, bob), "still there?");
    expect(pushService.to(browser.endpoint)).toEqual([]);
    expect(await subscriptionRows(bob)).toEqual([]);
  });
});
