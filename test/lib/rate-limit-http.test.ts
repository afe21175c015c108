// 429 with Retry-After once a limit is used up: login (per address, per account), register, refresh, sends and
// upload bytes; buckets refill; PARLEY_RATE_LIMITS=off lets everything through. Each test sets the limit it tests.
import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import type { Config } from "../../src/config";
import type { Rate } from "../../src/config";
import type { MemoryRateLimiter } from "../../src/lib/rate-limit";
import { listen, makeApp, registerUser, type Api, type ApiResponse } from "../helpers";
import { counts, createGroup, randomBytes, send, upload, uploadedFiles, waitFor } from "../chat-helpers";

const PASSWORD = "correct horse battery";
const per = (capacity: number, periodMs: number): Rate => ({ capacity, periodMs });

/** A 429 in the API's error shape, with a Retry-After of `seconds`. */
function expectLimited(response: ApiResponse, seconds: number, detail: RegExp) {
  expect(response.status).toBe(429);
  expect(response.headers.get("retry-after")).toBe(String(seconds));
  expect(response.headers.get("content-type")).toContain("application/json");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(Object.keys(response.body).sort()).toEqual(["code", "detail", "error"]);
  expect(response.body.code).toBe("rate_limited");
  expect(response.body.detail).toMatch(detail);
  expect(response.body.detail).toEndWith(`Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`);
  expect(response.body.error).toBe(response.body.detail);
}

/** The status of a JSON POST sent from another loopback address (127.0.0.0/8 is all loopback on Linux). */
function statusFrom(localAddress: string, url: string, path: string, body: unknown): Promise<number> {
  const { hostname, port } = new URL(url);
  const json = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () =>
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      ),
    );
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
  });
}

const login = (api: Api, email: string, password = PASSWORD, ip?: string) =>
  api("POST", "/api/login/", { body: { email, password }, headers: ip ? { "x-forwarded-for": ip } : {} });

describe("login", () => {
  test("per client address, over a real socket: the limit's next try is refused, whatever the account or password", async () => {
    const { api, server } = await listen({ limitLoginIp: per(5, 60_000) }); // 5, then one every 12 s
    const alice = await registerUser(api, "alice"); // registerUser logs in: two of the five tries
    const bob = await registerUser(api, "bob");
    expect((await login(api, alice.email)).status).toBe(200);
    expect((await login(api, bob.email, "wrong password")).status).toBe(401);
    expect((await api("POST", "/api/token/", { body: { email: "nobody@example.com", password: PASSWORD } })).status).toBe(401);
    expectLimited(await login(api, bob.email), 12, /^Too many login attempts from this address\./);
    // /api/token/ is the same login; X-Forwarded-For is not believed without PARLEY_TRUST_PROXY.
    expectLimited(await api("POST", "/api/token/", { body: { email: alice.email, password: PASSWORD } }), 12, /address/);
    expectLimited(await login(api, alice.email, PASSWORD, "198.51.100.1"), 12, /address/);
    // Another peer address has its own bucket.
    expect(await statusFrom("127.0.0.2", server.url, "/api/login/", { email: alice.email, password: PASSWORD })).toBe(200);
  });

  test("per account, from different addresses (PARLEY_TRUST_PROXY on): the account's bucket runs dry, other accounts are untouched", async () => {
    const { api } = await makeApp({ trustProxy: true, limitLoginIp: per(2, 60_000), limitLoginAccount: per(4, 400_000) });
    const alice = await registerUser(api, "alice"); // its login is the account's first try
    const bob = await registerUser(api, "bob");
    expect((await login(api, alice.email, "guess 1", "203.0.113.1")).status).toBe(401);
    expect((await login(api, alice.email.toUpperCase(), "guess 2", "203.0.113.2")).status).toBe(401); // the same account
    expect((await login(api, alice.email, PASSWORD, "203.0.113.3")).status).toBe(200);
    // A fresh address, even with the right password: 4 per 400 s is one every 100 s.
    expectLimited(await login(api, alice.email, PASSWORD, "203.0.113.4"), 100, /^Too many login attempts for this account\./);
    expectLimited(await login(api, ` ${alice.email} `, "guess 3", "2001:db8:5::1"), 100, /account/);
    expect((await login(api, bob.email, PASSWORD, "203.0.113.4")).status).toBe(200);
    // And per address still: 203.0.113.4 has used both of its tokens (the refused one above counted too).
    expectLimited(await login(api, bob.email, PASSWORD, "203.0.113.4"), 30, /address/);
    // A whole IPv6 /64 is one address.
    expect((await login(api, bob.email, PASSWORD, "2001:db8:5::2")).status).toBe(200);
    expectLimited(await login(api, bob.email, PASSWORD, "2001:db8:5::3"), 30, /address/);
  });

  test("bad input is not a try: a malformed body answers 400 and uses up nothing", async () => {
    const { api } = await makeApp({ limitLoginIp: per(1, 60_000) });
    for (let i = 0; i < 3; i++) expect((await api("POST", "/api/login/", { body: { email: "x@example.com" } })).status).toBe(400);
    expect((await login(api, "x@example.com")).status).toBe(401);
    expectLimited(await login(api, "x@example.com"), 60, /address/);
  });
});

describe("register", () => {
  test("per client address: the third registration from one address in ten minutes is refused and creates no account", async () => {
    const { api, parley } = await makeApp({ trustProxy: true, limitRegisterIp: per(2, 600_000) });
    const register = (n: number, ip: string) =>
      api("POST", "/api/register/", { body: { username: `reg${n}`, email: `reg${n}@example.com`, password: PASSWORD }, headers: { "x-forwarded-for": ip } });
    expect((await register(1, "192.0.2.10")).status).toBe(201);
    expect((await register(2, "192.0.2.10")).status).toBe(201);
    expectLimited(await register(3, "192.0.2.10"), 300, /^Too many registrations from this address\./);
    expect(await parley.ctx.db.selectFrom("users").select("username").where("username", "=", "reg3").executeTakeFirst()).toBeUndefined();
    expect((await register(4, "192.0.2.11")).status).toBe(201);
  });

  test("per email: probing one address from many client addresses is refused after the limit", async () => {
    const { api, parley } = await makeApp({ trustProxy: true, limitRegisterAccount: per(2, 600_000) });
    const attempt = (username: string, email: string, ip: string) =>
      api("POST", "/api/register/", { body: { username, email, password: PASSWORD }, headers: { "x-forwarded-for": ip } });
    expect((await attempt("first", "taken@example.com", "192.0.2.20")).status).toBe(201);
    expect((await attempt("second", "Taken@Example.com", "192.0.2.21")).status).toBe(400); // taken: the answer a prober wants
    expectLimited(await attempt("third", "TAKEN@example.com", "192.0.2.22"), 300, /^Too many registration attempts for this email address\./);
    expect((await attempt("other", "other@example.com", "192.0.2.22")).status).toBe(201);
    const users = await parley.ctx.db.selectFrom("users").select("username").orderBy("id").execute();
    expect(users.map((u) => u.username)).toEqual(["first", "other"]);
  });
});

describe("token refresh", () => {
  const refresh = (api: Api, token: string, ip = "192.0.2.50") =>
    api("POST", "/api/token/refresh/", { body: { refresh: token }, headers: { "x-forwarded-for": ip } });

  test("per account: a refused refresh leaves the token usable, and it works once the bucket refills", async () => {
    const { api } = await makeApp({ trustProxy: true, limitRefreshAccount: per(2, 1_200) });
    const alice = await registerUser(api, "alice");
    const bob = await registerUser(api, "bob");
    let token = alice.refresh;
    for (let i = 0; i < 2; i++) {
      const rotated = await refresh(api, token, `192.0.2.${60 + i}`);
      expect(rotated.status).toBe(200);
      token = rotated.body.refresh;
    }
    expectLimited(await refresh(api, token, "192.0.2.70"), 1, /^Too many token refreshes for this account\./);
    expect((await refresh(api, bob.refresh)).status).toBe(200);
    // A bad token names no account: refused as invalid, not as limited.
    expect((await refresh(api, "not-a-token")).status).toBe(401);
    await Bun.sleep(620); // one token every 600 ms
    const later = await refresh(api, token);
    expect(later.status).toBe(200);
    expect((await api("GET", "/api/users/protected/", { token: later.body.access })).status).toBe(200);
  });

  test("per client address", async () => {
    const { api } = await makeApp({ trustProxy: true, limitRefreshIp: per(2, 60_000) });
    const users = [await registerUser(api, "r"), await registerUser(api, "r"), await registerUser(api, "r")];
    expect((await refresh(api, users[0]!.refresh, "198.51.100.7")).status).toBe(200);
    expect((await refresh(api, users[1]!.refresh, "198.51.100.7")).status).toBe(200);
    expectLimited(await refresh(api, users[2]!.refresh, "198.51.100.7"), 30, /^Too many token refreshes from this address\./);
    expect((await refresh(api, users[2]!.refresh, "198.51.100.8")).status).toBe(200);
  });
});

describe("message sends (REST)", () => {
  test("per user: the fourth send within the minute answers 429 and stores nothing; other users still send", async () => {
    const { api, parley } = await makeApp({ limitSend: per(3, 60_000) });
    const alice = await registerUser(api, "alice");
    const bob = await registerUser(api, "bob");
    const group = await createGroup(api, alice, [bob.id]);
    for (let i = 0; i < 3; i++) expect((await send(api, alice, group.id, { message: `hello ${i}` })).status).toBe(201);
    const before = await counts(parley);
    expectLimited(await send(api, alice, group.id, { message: "one too many" }), 20, /^Too many messages; slow down\./);
    expect(await counts(parley)).toEqual(before);
    expect((await send(api, bob, group.id, { message: "my own bucket" })).status).toBe(201);
    // Anonymous callers are still told to authenticate first.
    expect((await send(api, undefined, group.id, { message: "who?" })).status).toBe(401);
  });

  test("buckets refill: a small period instead of a long wait", async () => {
    const { api } = await makeApp({ limitSend: per(2, 800) }); // a burst of 2, then one every 400 ms
    const alice = await registerUser(api, "alice");
    const group = await createGroup(api, alice);
    expect((await send(api, alice, group.id, { message: "1" })).status).toBe(201);
    expect((await send(api, alice, group.id, { message: "2" })).status).toBe(201);
    expectLimited(await send(api, alice, group.id, { message: "3" }), 1, /messages/);
    await Bun.sleep(420);
    expect((await send(api, alice, group.id, { message: "3 again" })).status).toBe(201);
    expect((await send(api, alice, group.id, { message: "4" })).status).toBe(429);
  });
});

describe("upload bytes", () => {
  test("per user, in bytes: an upload that would overdraw the bucket is refused before anything is written", async () => {
    // 100,000 bytes, refilled at 1,000 bytes a second.
    const { api, parley } = await makeApp({ limitUploadBytes: per(100_000, 100_000) });
    const alice = await registerUser(api, "alice");
    const bob = await registerUser(api, "bob");
    const group = await createGroup(api, alice, [bob.id]);
    expect((await upload(api, alice, group.id, randomBytes(60_000), "first.bin")).status).toBe(201);
    const files = uploadedFiles(parley);
    const before = await counts(parley);
    expectLimited(await upload(api, alice, group.id, randomBytes(60_000), "second.bin"), 20, /^Too many bytes uploaded/);
    expect(uploadedFiles(parley)).toEqual(files);
    expect(await counts(parley)).toEqual(before);
    // What is left (40,000 bytes) still goes; text messages are not bytes; bob has his own bucket.
    expect((await upload(api, alice, group.id, randomBytes(39_000), "third.bin")).status).toBe(201);
    expect((await send(api, alice, group.id, { message: "text costs no upload bytes" })).status).toBe(201);
    expect((await upload(api, bob, group.id, randomBytes(90_000), "bobs.bin")).status).toBe(201);
    expect(uploadedFiles(parley)).toHaveLength(files.length + 2);
  });
});

describe("searches", () => {
  test("per user: the fourth search within the minute answers 429 before any search runs; other users still search", async () => {
    const { api } = await makeApp({ limitSearch: per(3, 60_000) }); // 3, then one every 20 s
    const alice = await registerUser(api, "alice");
    const bob = await registerUser(api, "bob");
    const search = (user: { access: string }, q = "anything") => api("GET", `/api/search/?q=${q}`, { token: user.access });
    for (let i = 0; i < 3; i++) expect((await search(alice)).status).toBe(200);
    expectLimited(await search(alice), 20, /^Too many searches; slow down\./);
    expectLimited(await search(alice, "!!!"), 20, /searches/); // refused before the query is even read
    expect((await search(bob)).status).toBe(200);
  });
});

describe("PARLEY_RATE_LIMITS=off", () => {
  test("lets everything through, however small the limits", async () => {
    const tiny = per(1, 3_600_000);
    const limits: Partial<Config> = {
      rateLimits: false,
      limitLoginIp: tiny,
      limitLoginAccount: tiny,
      limitRegisterIp: tiny,
      limitRefreshIp: tiny,
      limitRefreshAccount: tiny,
      limitSend: tiny,
      limitUploadBytes: tiny,
      limitSearch: tiny,
    };
    const { api } = await makeApp(limits);
    const users = [await registerUser(api, "free"), await registerUser(api, "free"), await registerUser(api, "free")];
    const alice = users[0]!;
    for (let i = 0; i < 5; i++) expect((await login(api, alice.email)).status).toBe(200);
    let token = alice.refresh;
    for (let i = 0; i < 5; i++) {
      const rotated = await api("POST", "/api/token/refresh/", { body: { refresh: token } });
      expect(rotated.status).toBe(200);
      token = rotated.body.refresh;
    }
    const group = await createGroup(api, alice);
    for (let i = 0; i < 10; i++) expect((await send(api, alice, group.id, { message: `free ${i}` })).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await upload(api, alice, group.id, randomBytes(10_000), "f.bin")).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await api("GET", "/api/search/?q=free", { token: alice.access })).status).toBe(200);
  });

  test("and the same limits with PARLEY_RATE_LIMITS on refuse at once", async () => {
    const { api } = await makeApp({ limitRegisterIp: per(1, 3_600_000) });
    await registerUser(api, "first");
    const second = await api("POST", "/api/register/", { body: { username: "second", email: "second@example.com", password: PASSWORD } });
    expectLimited(second, 3600, /registrations/);
  });
});

describe("housekeeping", () => {
  test("drops the buckets that have refilled, keeps the ones still in use", async () => {
    // The send bucket refills in 1 s: long enough for the upload to answer on a slow machine before a sweep drops it.
    const { api, server } = await listen({ sweepIntervalMs: 50, limitSend: per(2, 2_000), limitUploadBytes: per(1_000_000, 36_000_000) });
    const alice = await registerUser(api, "alice");
    const group = await createGroup(api, alice);
    const sends = server.parley.ctx.limits.sendPerUser as MemoryRateLimiter;
    const bytes = server.parley.ctx.limits.uploadBytesPerUser as MemoryRateLimiter;
    expect((await upload(api, alice, group.id, randomBytes(1_000), "a.bin")).status).toBe(201);
    expect([sends.size, bytes.size]).toEqual([1, 1]);
    expect(await waitFor(() => sends.size === 0, 5_000)).toBe(true); // full again after 1 s, then swept
    expect(bytes.size).toBe(1); // its 1,000 bytes take 36 s to come back: not full yet
  });
});
