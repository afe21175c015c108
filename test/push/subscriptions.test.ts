// The Web Push API: the VAPID key (kept, and shared by apps on one database), and subscribing browsers.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { handleClient, makeApp, queryRows, registerUser, testConfig, type TestUser } from "../helpers";
import { browserSubscription } from "./push-service";

const { parley, api, config } = await makeApp();
const rowsOf = (user: TestUser) => queryRows<{ endpoint: string }>(parley, "SELECT endpoint FROM push_subscriptions WHERE user_id = ? ORDER BY id", [user.id]);
const subscribe = (user: TestUser, body: unknown) => api("POST", "/api/push/subscriptions/", { token: user.access, body });
/** The same x with another y: not a point on P-256. */
const offCurve = (p256dh: string) => `${p256dh.slice(0, 60)}${p256dh[60] === "A" ? "B" : "A"}${p256dh.slice(61)}`;
const endpoint = (n: number | string) => `https://push.example.net/wpush/v2/${n}-${crypto.randomUUID()}`;

describe("GET /api/push/key/", () => {
  test("answers a P-256 public key, the same after a restart and for another app on the same database", async () => {
    const first = await api("GET", "/api/push/key/");
    expect(first.status).toBe(200);
    const key = Buffer.from(first.body.public_key, "base64url");
    expect(key.length).toBe(65);
    expect(key[0]).toBe(4); // an uncompressed point
    await crypto.subtle.importKey("raw", key, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);

    // A second app on the same data dir (on PostgreSQL: the same database, as nodes of a cluster) reads the stored key.
    const other = await createApp(testConfig({ dataDir: config.dataDir }));
    try {
      expect((await handleClient(other)("GET", "/api/push/key/")).body.public_key).toBe(first.body.public_key);
    } finally {
      await other.close();
    }
    const stored = await queryRows<{ value: string }>(parley, "SELECT value FROM settings WHERE name = ?", ["vapid_keys"]);
    expect(JSON.parse(stored[0]!.value).publicKey).toBe(first.body.public_key);
  });

  test("a fresh data dir gets a key of its own", async () => {
    const { api: elsewhere } = await makeApp();
    expect((await elsewhere("GET", "/api/push/key/")).body.public_key).not.toBe((await api("GET", "/api/push/key/")).body.public_key);
  });
});

describe("POST/DELETE /api/push/subscriptions/", () => {
  test("subscribing is 201, the same endpoint again 200 with the same id and the new keys", async () => {
    const user = await registerUser(api, "sub");
    const browser = await browserSubscription(endpoint("a"));
    const created = await subscribe(user, { endpoint: browser.endpoint, keys: browser.keys, expirationTime: null });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(Number), created_at: expect.any(String) });
    const renewed = await browserSubscription(browser.endpoint);
    const again = await subscribe(user, { endpoint: browser.endpoint, keys: renewed.keys });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    const rows = await queryRows(parley, "SELECT p256dh, auth FROM push_subscriptions WHERE user_id = ?", [user.id]);
    expect(rows).toEqual([{ p256dh: renewed.keys.p256dh, auth: renewed.keys.auth }]);
  });

  test("another account subscribing the same browser takes the endpoint over", async () => {
    const [first, second] = [await registerUser(api, "owner"), await registerUser(api, "next")];
    const browser = await browserSubscription(endpoint("shared"));
    expect((await subscribe(first, browser)).status).toBe(201);
    expect((await subscribe(second, browser)).status).toBe(200);
    expect(await rowsOf(first)).toEqual([]);
    expect((await rowsOf(second)).map((r) => r.endpoint)).toEqual([browser.endpoint]);
  });

  test("an account keeps its newest 10 subscriptions: the 11th replaces the oldest", async () => {
    const user = await registerUser(api, "many");
    const endpoints: string[] = [];
    for (let n = 0; n < 11; n++) {
      const browser = await browserSubscription(endpoint(n));
      endpoints.push(browser.endpoint);
      expect((await subscribe(user, browser)).status).toBe(201);
      await Bun.sleep(2); // distinct created_at
    }
    expect((await rowsOf(user)).map((r) => r.endpoint).sort()).toEqual(endpoints.slice(1).sort());
  });

  test("bad subscriptions are 4xx JSON naming the field, and store nothing", async () => {
    const user = await registerUser(api, "bad");
    const good = await browserSubscription(endpoint("good"));
    const cases: Array<[unknown, string]> = [
      [{ ...good, endpoint: "http://push.example.net/x" }, "endpoint"],
      [{ ...good, endpoint: "not a url" }, "endpoint"],
      [{ ...good, endpoint: "https://127.0.0.1/x" }, "endpoint"],
      [{ ...good, endpoint: "https://localhost/x" }, "endpoint"],
      [{ ...good, endpoint: "https://user:pw@push.example.net/x" }, "endpoint"],
      [{ ...good, keys: { ...good.keys, p256dh: good.keys.p256dh.slice(1) } }, "keys"],
      [{ ...good, keys: { ...good.keys, p256dh: offCurve(good.keys.p256dh) } }, "keys"],
      [{ ...good, keys: { ...good.keys, auth: "short" } }, "keys"],
      [{ endpoint: good.endpoint }, "keys"],
      [{ keys: good.keys }, "endpoint"],
    ];
    for (const [body, field] of cases) {
      const answer = await subscribe(user, body);
      expect([400, 422]).toContain(answer.status);
      expect(JSON.stringify(answer.body)).toContain(field);
      expect(JSON.stringify(answer.body)).not.toContain("user:pw");
    }
    expect(await rowsOf(user)).toEqual([]);
  });

  test("anonymous callers get 401; the key needs no login", async () => {
    const browser = await browserSubscription(endpoint("anon"));
    expect((await api("POST", "/api/push/subscriptions/", { body: browser })).status).toBe(401);
    expect((await api("DELETE", "/api/push/subscriptions/", { body: { endpoint: browser.endpoint } })).status).toBe(401);
  });

  test("unsubscribing removes only the caller's own subscription, and is 204 again", async () => {
    const [me, other] = [await registerUser(api, "unsub"), await registerUser(api, "keep")];
    const mine = await browserSubscription(endpoint("mine"));
    const theirs = await browserSubscription(endpoint("theirs"));
    await subscribe(me, mine);
    await subscribe(other, theirs);
    const remove = (user: TestUser, target: string) => api("DELETE", "/api/push/subscriptions/", { token: user.access, body: { endpoint: target } });
    expect((await remove(me, theirs.endpoint)).status).toBe(204);
    expect((await rowsOf(other)).length).toBe(1);
    expect((await remove(me, mine.endpoint)).status).toBe(204);
    expect(await rowsOf(me)).toEqual([]);
    expect((await remove(me, mine.endpoint)).status).toBe(204);
  });

  test("deleting an account deletes its subscriptions", async () => {
    const user = await registerUser(api, "leaving");
    await subscribe(user, await browserSubscription(endpoint("leaving")));
    expect((await rowsOf(user)).length).toBe(1);
    expect((await api("DELETE", `/api/${user.id}/delete/`, { token: user.access })).status).toBe(204);
    expect(await rowsOf(user)).toEqual([]);
  });
});
