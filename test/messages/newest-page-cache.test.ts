// The newest page is served from a cache: it must never show a stale history.
import { describe, expect, test } from "bun:test";
import { makeApp, queryRows, registerUser } from "../helpers";

describe("the newest page of a conversation", async () => {
  const { api, parley } = await makeApp();
  const alice = await registerUser(api, "alice");
  const bob = await registerUser(api, "bob");
  const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "cache", members: [bob.id] } })).body;
  const newest = async (limit = 10) => (await api("GET", `/api/messages/${group.id}/?limit=${limit}`, { token: alice.access })).body.map((m: any) => m.message);
  const send = (token: string, message: string) => api("POST", `/api/messages/${group.id}/send/`, { token, body: { message } });

  test("shows a message sent right after it was read (REST and WebSocket paths share the publish)", async () => {
    await send(alice.access, "one");
    expect(await newest()).toEqual(["one"]);
    expect(await newest()).toEqual(["one"]); // served again (from the cache)
    await send(bob.access, "two");
    expect(await newest()).toEqual(["two", "one"]);
    expect(await newest(1)).toEqual(["two"]);
    await send(alice.access, "three");
    expect(await newest(1)).toEqual(["three"]);
    expect(await newest()).toEqual(["three", "two", "one"]);
  });

  test("serves a repeated read from the cache: a row changed behind its back (no event) shows only once the conversation changes", async () => {
    const room = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "cache hit", members: [bob.id] } })).body;
    const page = async (limit: number) => (await api("GET", `/api/messages/${room.id}/?limit=${limit}`, { token: bob.access })).body.map((m: any) => m.message);
    const sent = (await api("POST", `/api/messages/${room.id}/send/`, { token: alice.access, body: { message: "as sent" } })).body;
    expect(await page(5)).toEqual(["as sent"]);
    await queryRows(parley, "UPDATE messages SET body = ? WHERE id = ?", ["changed behind the cache", sent.id]);
    expect(await page(6)).toEqual(["changed behind the cache"]); // a page not read before comes from the database
    expect(await page(5)).toEqual(["as sent"]); // the page read before does not: a cache hit
    await api("POST", `/api/messages/${room.id}/send/`, { token: alice.access, body: { message: "next" } });
    expect(await page(5)).toEqual(["next", "changed behind the cache"]);
  });

  test("drops the messages of a deleted user at once", async () => {
    const carol = await registerUser(api, "carol");
    await api("POST", `/api/groups/${group.id}/join/`, { token: carol.access });
    await send(carol.access, "from carol");
    expect((await newest())[0]).toBe("from carol");
    expect((await api("DELETE", `/api/${carol.id}/delete/`, { token: carol.access })).status).toBe(204);
    expect(await newest()).not.toContain("from carol");
  });

  test("is only ever handed to members, and page 2 and cursors are read fresh", async () => {
    const room = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "fresh reads", members: [bob.id] } })).body;
    for (const message of ["first", "second", "third"]) await api("POST", `/api/messages/${room.id}/send/`, { token: alice.access, body: { message } });
    expect((await api("GET", `/api/messages/${room.id}/`, { token: alice.access })).status).toBe(200); // the page is cached now
    const stranger = await registerUser(api, "stranger");
    expect((await api("GET", `/api/messages/${room.id}/`, { token: stranger.access })).status).toBe(403);
    const all = (await api("GET", `/api/messages/${room.id}/?limit=100`, { token: bob.access })).body;
    const before = (await api("GET", `/api/messages/${room.id}/?before=${all[0].id}&limit=100`, { token: bob.access })).body;
    expect(before.map((m: any) => m.id)).toEqual(all.slice(1).map((m: any) => m.id));
    const answer = await api("GET", `/api/messages/${room.id}/`, { token: bob.access });
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
