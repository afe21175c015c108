// GET /api/groups/directory/ — every group, to find one to join; and each member's read marker in the conversation list.
import { describe, expect, test } from "bun:test";
import { listen } from "../helpers";
import { openSocket, wsUrl } from "../ws-helpers";
import { createGroup, registerUsers, sendText, uniqueName } from "../chat-helpers";

const { server, api } = await listen();
const [alice, bob, carol] = await registerUsers(api, ["alice", "bob", "carol"]);
const prefix = uniqueName("Dir");
const design = await createGroup(api, alice, [bob.id], `${prefix} Design`);
const dev = await createGroup(api, bob, [], `${prefix} Dev_ops`);
const other = await createGroup(api, carol, [], uniqueName("Other"));

describe("GET /api/groups/directory/", () => {
  test("every group newest first, with member counts and whether the caller is in it", async () => {
    const list = await api("GET", "/api/groups/directory/", { token: carol.access });
    expect(list.status).toBe(200);
    expect(list.body.map((g: { id: number }) => g.id)).toEqual([other.id, dev.id, design.id]);
    expect(list.body[2]).toEqual({ id: design.id, name: design.name, member_count: 2, is_member: false, created_at: expect.any(String) });
    expect(list.body[0]).toMatchObject({ id: other.id, member_count: 1, is_member: true });
  });

  test("q matches the start of the name, ignoring case, with LIKE's wildcards taken literally", async () => {
    const byPrefix = await api("GET", `/api/groups/directory/?q=${encodeURIComponent(prefix.toUpperCase())}`, { token: carol.access });
    expect(byPrefix.body.map((g: { id: number }) => g.id)).toEqual([dev.id, design.id]);
    const underscore = await api("GET", `/api/groups/directory/?q=${encodeURIComponent(`${prefix} Dev_`)}`, { token: carol.access });
    expect(underscore.body.map((g: { id: number }) => g.id)).toEqual([dev.id]);
    const wildcard = await api("GET", `/api/groups/directory/?q=${encodeURIComponent(`${prefix} D%`)}`, { token: carol.access });
    expect(wildcard.body).toEqual([]);
  });

  test("before and limit page through it without repeats", async () => {
    const first = await api("GET", "/api/groups/directory/?limit=2", { token: carol.access });
    expect(first.body.map((g: { id: number }) => g.id)).toEqual([other.id, dev.id]);
    const rest = await api("GET", `/api/groups/directory/?limit=2&before=${dev.id}`, { token: carol.access });
    expect(rest.body.map((g: { id: number }) => g.id)).toEqual([design.id]);
  });

  test("a private group is listed to its members only", async () => {
    const hidden = await createGroup(api, alice, [bob.id], `${prefix} Secret`);
    expect((await api("PATCH", `/api/groups/${hidden.id}/`, { token: alice.access, body: { private: true } })).status).toBe(200);
    const forBob = await api("GET", `/api/groups/directory/?q=${encodeURIComponent(`${prefix} Secret`)}`, { token: bob.access });
    expect(forBob.body).toEqual([expect.objectContaining({ id: hidden.id, is_member: true })]);
    const forCarol = await api("GET", `/api/groups/directory/?q=${encodeURIComponent(`${prefix} Secret`)}`, { token: carol.access });
    expect(forCarol.status).toBe(200);
    expect(forCarol.body).toEqual([]);
    await api("PATCH", `/api/groups/${hidden.id}/`, { token: alice.access, body: { private: false } });
    const open = await api("GET", `/api/groups/directory/?q=${encodeURIComponent(`${prefix} Secret`)}`, { token: carol.access });
    expect(open.body.map((g: { id: number }) => g.id)).toEqual([hidden.id]);
  });

  test("anonymous: 401; bad limit, before or q: 400 whose message names the field", async () => {
    expect((await api("GET", "/api/groups/directory/")).status).toBe(401);
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=x", "limit"],
      ["before=0", "before"],
      ["before=x", "before"],
      [`q=${"x".repeat(101)}`, "q"],
    ]) {
      const bad = await api("GET", `/api/groups/directory/?${query}`, { token: carol.access });
      expect(bad.status).toBe(400);
      // (An out-of-range number is keyed non_field_errors, as in every cursor query today: see src/lib/http.ts fieldErrors.)
      expect(Object.values(bad.body as Record<string, string[]>).flat()[0]).toStartWith(`${field} must`);
    }
  });
});

describe("read markers in GET /api/conversations/", () => {
  test("each member carries last_read_message_id, moved by the WebSocket read operation", async () => {
    const sent = await sendText(api, alice, design.id, "read me");
    const socket = await openSocket(wsUrl(server.url, "/ws", bob.access));
    await socket.next("hello");
    socket.send({ type: "read", conversation_id: design.id, message_id: sent.id, ref: "r1" });
    await socket.next((f) => f.type === "ack" && f.ref === "r1");
    await socket.close();
    const list = await api("GET", "/api/conversations/", { token: alice.access });
    const members: Array<{ id: number; last_read_message_id: number | null }> = list.body.find((c: { id: number }) => c.id === design.id).members;
    expect(members.map((m) => [m.id, m.last_read_message_id]).sort((a, b) => a[0]! - b[0]!)).toEqual(
      [
        [alice.id, null],
        [bob.id, sent.id],
      ].sort((a, b) => a[0]! - b[0]!),
    );
  });
});
