// The typed client's tokens against a real server: an expired access token refreshed before the call (once for
// many concurrent calls), a refused one refreshed after the 401 and the call retried, a short-lived one refreshed
// ahead of its expiry; a spent refresh token never used again.
import { describe, expect, test } from "bun:test";
import { ParleyClient, memoryStore, type Session, type TokenStore } from "../../src/client";
import { checkedFetch, decodeJwt, listen, queryRows, registerUser } from "../helpers";
import { loggedIn } from "./client-helpers";

/** A token with its payload changed: the client reads the new `exp`, the server refuses the broken signature. */
function withExp(token: string, exp: number): string {
  const [header, payload, signature] = token.split(".");
  const claims = { ...JSON.parse(Buffer.from(payload!, "base64url").toString()), exp };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
}

/** A fetch that counts the refreshes it carries. */
function countingFetch() {
  const counter = {
    refreshes: 0,
    fetch: (input: string, init: RequestInit) => {
      if (input.endsWith("/api/token/refresh/")) counter.refreshes++;
      return checkedFetch(input, init);
    },
  };
  return counter;
}

describe("parley/client tokens", async () => {
  const { server, api } = await listen({ accessTtlMs: 2_000 });
  const alice = await registerUser(api, "alice");
  const session = async (): Promise<Session> => (await loggedIn(server.url, alice)).session!;

  test("an expired access token is refreshed once before many concurrent calls, which all succeed", async () => {
    const start = await session();
    const counter = countingFetch();
    const client = new ParleyClient({
      baseUrl: server.url,
      store: memoryStore({ ...start, access: withExp(start.access, Math.floor(Date.now() / 1000) - 5) }),
      fetch: counter.fetch,
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => client.checkToken()));
    expect(answers.map((a) => a.email)).toEqual(Array(5).fill(alice.email));
    expect(counter.refreshes).toBe(1);
    expect(client.session!.refresh).not.toBe(start.refresh);
    expect(await queryRows(server.parley, "SELECT jti FROM revoked_tokens WHERE jti = ?", [decodeJwt(start.refresh).payload.jti])).toHaveLength(1);
  });

  test("an access token the server refuses (401) is refreshed and the call retried once", async () => {
    const start = await session();
    const counter = countingFetch();
    const client = new ParleyClient({
      baseUrl: server.url,
      store: memoryStore({ ...start, access: withExp(start.access, Math.floor(Date.now() / 1000) + 3600) }),
      fetch: counter.fetch,
    });
    expect((await client.checkToken()).email).toBe(alice.email);
    expect(counter.refreshes).toBe(1);
  });

  test("a short-lived access token is refreshed before it expires, without a call asking", async () => {
    const changes: (Session | null)[] = [];
    let rotated!: (at: number) => void;
    const refreshedAt = new Promise<number>((resolve) => (rotated = resolve));
    const inner = memoryStore();
    const store: TokenStore = {
      get: inner.get,
      set: (value) => {
        inner.set(value);
        changes.push(value);
        if (changes.length === 3) rotated(Date.now());
      },
    };
    const client = new ParleyClient({ baseUrl: server.url, store, fetch: checkedFetch });
    const first = await client.login(alice.email, alice.password); // two sets: the tokens, then the username
    const at = await refreshedAt;
    expect(client.session!.access).not.toBe(first.access);
    expect(at).toBeLessThan(decodeJwt(first.access).payload.exp * 1000); // rotated ahead of expiry
    expect((await client.checkToken()).email).toBe(alice.email);
  });

  test("a refresh token the server refuses ends the session, reported once", async () => {
    const client = await loggedIn(server.url, alice);
    const ended: string[] = [];
    client.onSessionEnd((reason) => ended.push(reason));
    await api("POST", "/api/logout/", { token: client.session!.access, body: { refresh: client.session!.refresh } });
    const refused = await client.checkToken().catch((error) => error);
    expect(refused.status).toBe(401);
    expect(ended).toEqual(["expired"]);
    expect(client.session).toBeNull();
  });
});
