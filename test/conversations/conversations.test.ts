// Direct conversations (including with oneself) and the caller's conversation list, most recently active first.
import { describe, expect, test } from "bun:test";
import { makeApp, registerUser } from "../helpers";
import { counts, createGroup, directWith, ISO_TIMESTAMP, MESSAGE_KEYS, nextMillisecond, sendText, registerUsers } from "../chat-helpers";

const { parley, api } = await makeApp();
const db = parley.ctx.db;
const [alice, bob, carol] = await registerUsers(api, ["alice", "bob", "carol"]);

const memberIds = (conversationId: number) =>
  db
    .selectFrom("conversation_members")
    .select("user_id")
    .where("conversation_id", "=", conversationId)
    .orderBy("user_id")
    .execute()
    .then((rows) => rows.map((r) => r.user_id));

describe("POST /api/conversations/direct/", () => {
  test("201 with the conversation the first time, 200 with the same one after (from either side)", async () => {
    const [u, v] = await Promise.all([registerUser(api, "dm-a"), registerUser(api, "dm-b")]);
    const before = await counts(parley);
    const first = await api("POST", "/api/conversations/direct/", { token: u.access, body: { user_id: v.id } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ kind: "direct", name: v.username, last_message: null });
    expect(first.body.created_at).toMatch(ISO_TIMESTAMP);
    expect(first.body.members).toEqual([
      { id: v.id, username: v.username, first_name: "dm-b", last_name: "Test", is_bot: false, role: "member", last_read_message_id: null },
    ]);
    expect((await counts(parley)).conversations).toBe(before.conversations + 1);
    expect(await memberIds(first.body.id)).toEqual([u.id, v.id].sort((a, b) => a - b));
    const row = await db.selectFrom("conversations").selectAll().where("id", "=", first.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: "direct", name: null, created_by: u.id });

    const again = await api("POST", "/api/conversations/direct/", { token: u.access, body: { user_id: v.id } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const otherSide = await api("POST", "/api/conversations/direct/", { token: v.access, body: { user_id: u.id } });
    expect(otherSide.status).toBe(200);
    expect(otherSide.body.id).toBe(first.body.id);
    expect(otherSide.body.members.map((m: { id: number }) => m.id)).toEqual([u.id]);
    expect((await counts(parley)).conversations).toBe(before.conversations + 1);
  });

  test("a user may open a conversation with themself and message themself", async () => {
    const solo = await registerUser(api, "solo");
    const first = await api("POST", "/api/conversations/direct/", { token: solo.access, body: { user_id: solo.id } });
    expect(first.status).toBe(201);
    expect(first.body.members.map((m: { id: number }) => m.id)).toEqual([solo.id]);
    expect(await memberIds(first.body.id)).toEqual([solo.id]);
    expect((await api("POST", "/api/conversations/direct/", { token: solo.access, body: { user_id: solo.id } })).status).toBe(200);

    const note = await api("POST", "/api/messages/0/send/", { token: solo.access, body: { message: "note to self", receiver_user: solo.id } });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({ conversation_id: first.body.id, sender: solo.id, receiver_user: solo.id, receiver_group: null });
    const history = await api("GET", `/api/messages/${first.body.id}/`, { token: solo.access });
    expect(history.body.map((m: { message: string }) => m.message)).toEqual(["note to self"]);
  });

  test("the user id may be given as text (form bodies)", async () => {
    const [u, v] = await Promise.all([registerUser(api, "form-a"), registerUser(api, "form-b")]);
    const response = await api("POST", "/api/conversations/direct/", {
      token: u.access,
      body: new URLSearchParams({ user_id: String(v.id) }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(201);
    expect(response.body.members.map((m: { id: number }) => m.id)).toEqual([v.id]);
  });

  test("an unknown, missing or malformed user id → 400 naming user_id, and nothing is created", async () => {
    const before = await counts(parley);
    for (const body of [{ user_id: 9_999_999 }, {}, { user_id: "abc" }, { user_id: 0 }, { user_id: -3 }, { user_id: null }, { user_id: [alice.id] }]) {
      const response = await api("POST", "/api/conversations/direct/", { token: alice.access, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body)).toEqual(["user_id"]);
    }
    expect(await counts(parley)).toEqual(before);
  });

  test("anonymous → 401 and nothing is created", async () => {
    const before = await counts(parley);
    expect((await api("POST", "/api/conversations/direct/", { body: { user_id: alice.id } })).status).toBe(401);
    expect(await counts(parley)).toEqual(before);
  });
});

describe("GET /api/conversations/", () => {
  test("lists the caller's direct and group conversations with members and last message, most recently active first", async () => {
    const [me, friend, other, outsider] = await registerUsers(api, ["me", "friend", "other", "outsider"]);
    const group = await createGroup(api, me, [friend.id, other.id]);
    const dm = await directWith(api, me, friend);
    const quiet = await directWith(api, other, me); // opened by the other side, no messages
    const foreign = await createGroup(api, outsider, [friend.id]); // me is not in it
    await nextMillisecond(); // every message is newer than every conversation's creation

    await sendText(api, me, group.id, "first in group");
    await sendText(api, friend, dm, "hi from friend");
    await nextMillisecond(); // timestamps are milliseconds: make the order of activity unambiguous
    const latest = await sendText(api, other, group.id, "latest in group");
    await sendText(api, outsider, foreign.id, "not for me");

    const response = await api("GET", "/api/conversations/", { token: me.access });
    expect(response.status).toBe(200);
    const ids = response.body.map((c: { id: number }) => c.id);
    expect(ids).toEqual([group.id, dm, quiet]);

    const [g, d, q] = response.body;
    expect(g).toMatchObject({ id: group.id, kind: "group", name: group.name });
    expect(g.members.map((m: { id: number }) => m.id).sort()).toEqual([me.id, friend.id, other.id].sort());
    expect(g.members.find((m: { id: number }) => m.id === me.id).role).toBe("owner");
    expect(Object.keys(g.last_message).sort()).toEqual(MESSAGE_KEYS);
    expect(g.last_message).toMatchObject({
      id: latest.id,
      message: "latest in group",
      sender: other.id,
      sender_username: other.username,
      receiver_group: group.id,
    });

    expect(d).toMatchObject({ id: dm, kind: "direct", name: friend.username });
    expect(d.members).toEqual([
      { id: friend.id, username: friend.username, first_name: "friend", last_name: "Test", is_bot: false, role: "member", last_read_message_id: null },
    ]);
    expect(d.last_message).toMatchObject({ message: "hi from friend", sender: friend.id, receiver_user: me.id, receiver_group: null });

    expect(q).toMatchObject({ id: quiet, kind: "direct", name: other.username, last_message: null });
    expect(q.members.map((m: { id: number }) => m.id)).toEqual([other.id]);

    // New activity reorders the list.
    await nextMillisecond();
    await sendText(api, me, quiet, "waking up the quiet one");
    const reordered = await api("GET", "/api/conversations/", { token: me.access });
    expect(reordered.body.map((c: { id: number }) => c.id)).toEqual([quiet, group.id, dm]);
    expect(reordered.body[0].last_message.message).toBe("waking up the quiet one");
    expect(JSON.stringify(reordered.body)).not.toContain("not for me");

    // Leaving a group removes it from the list (as its last owner, me hands over first).
    expect((await api("PATCH", `/api/groups/${group.id}/members/${friend.id}/`, { token: me.access, body: { role: "owner" } })).status).toBe(200);
    expect((await api("POST", `/api/groups/${group.id}/leave/`, { token: me.access })).status).toBe(200);
    expect((await api("GET", "/api/conversations/", { token: me.access })).body.map((c: { id: number }) => c.id)).toEqual([quiet, dm]);
  });

  test("a new user has no conversations; anonymous → 401", async () => {
    const fresh = await registerUser(api, "fresh");
    const response = await api("GET", "/api/conversations/", { token: fresh.access });
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
    expect((await api("GET", "/api/conversations/")).status).toBe(401);
    expect((await api("GET", "/api/conversations/", { token: alice.refresh })).status).toBe(401);
  });

  test("other users' conversations are never listed", async () => {
    await directWith(api, alice, bob);
    const response = await api("GET", "/api/conversations/", { token: carol.access });
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]); // carol is in none of this file's conversations
  });
});
