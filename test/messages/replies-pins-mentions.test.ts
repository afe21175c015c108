// Replies (reply_to, reply_count, the replies list), pins (who may, the list, events) and @mentions (what resolves,
// GET /api/mentions/): the permission matrix, live and replayed events, and bad input refused with a clear 4xx.
import { describe, expect, test } from "bun:test";
import type { TestUser } from "../helpers";
import { cast, lastSeq as lastSeqOf, socketOf as socketOfUser } from "./feature-helpers";
import type { Frame, TestSocket } from "../ws-helpers";
import { counts, createGroup, directWith, expectRefused, nextMillisecond, registerUsers, send, sendText, upload, uploadedFiles } from "../chat-helpers";

const { server, api, alice, bob, carol, dave, eve, staff, group, bobCarol } = await cast();
const parley = server.parley;
const db = parley.ctx.db;

const lastSeq = () => lastSeqOf(server);
const socketOf = (user: TestUser, since?: number): Promise<TestSocket> => socketOfUser(server, user, since);
const ids = (body: { id: number }[]) => body.map((m) => m.id);
const inHistory = async (user: TestUser, conversationId: number, id: number) =>
  ((await api("GET", `/api/messages/${conversationId}/?limit=100`, { token: user.access })).body as { id: number; [k: string]: any }[]).find(
    (m) => m.id === id,
  );

describe("replies", () => {
  const repliesOf = (user: TestUser | undefined, parentId: number | string, query = "", conversationId: number | string = group.id) =>
    api("GET", `/api/messages/${conversationId}/${parentId}/replies/${query}`, { token: user?.access });

  test("reply_to as a JSON number, a multipart string and over the WebSocket; the parent counts its replies", async () => {
    const parent = await sendText(api, alice, group.id, "the question");
    expect(parent).toMatchObject({ reply_to: null, reply_count: 0 });
    const watcher = await socketOf(carol);
    const json = await send(api, bob, group.id, { message: "json answer", reply_to: parent.id });
    expect(json.status).toBe(201);
    expect(json.body).toMatchObject({ reply_to: parent.id, reply_count: 0 });
    const live = await watcher.next((f) => f.type === "message.created" && f.data.id === json.body.id);
    expect(live.data.reply_to).toBe(parent.id);

    const multipart = await upload(api, carol, group.id, "attached", "a.txt", "text/plain", { message: "multipart answer", reply_to: String(parent.id) });
    expect(multipart.status).toBe(201);
    expect(multipart.body.reply_to).toBe(parent.id);
    const textOnly = await api("POST", `/api/messages/${group.id}/send/`, {
      token: dave.access,
      body: (() => {
        const data = new FormData();
        data.append("message", "form answer");
        data.append("reply_to", ` ${parent.id} `);
        return data;
      })(),
    });
    expect(textOnly.status).toBe(201);
    expect(textOnly.body.reply_to).toBe(parent.id);

    const socket = await socketOf(bob);
    socket.send({ type: "message.send", ref: "r1", conversation_id: group.id, message: "ws answer", reply_to: parent.id });
    const ack = await socket.next((f) => f.type === "ack" && f.ref === "r1");
    expect(ack.data).toMatchObject({ message: "ws answer", reply_to: parent.id });

    expect(await inHistory(carol, group.id, parent.id)).toMatchObject({ reply_count: 4 });
    expect((await db.selectFrom("messages").select("reply_count").where("id", "=", parent.id).executeTakeFirstOrThrow()).reply_count).toBe(4);
    // A reply to a reply is a reply of its own parent only.
    const nested = await sendText(api, alice, group.id, "nested");
    expect((await send(api, bob, group.id, { message: "to the nested one", reply_to: nested.id })).status).toBe(201);
    expect(await inHistory(carol, group.id, nested.id)).toMatchObject({ reply_count: 1 });
    expect(await inHistory(carol, group.id, parent.id)).toMatchObject({ reply_count: 4 });

    // Deleting a reply lowers the count; deleting the parent leaves the replies and their reply_to.
    expect((await api("DELETE", `/api/messages/${group.id}/${json.body.id}/`, { token: bob.access })).status).toBe(204);
    expect(await inHistory(carol, group.id, parent.id)).toMatchObject({ reply_count: 3 });
    expect((await api("DELETE", `/api/messages/${group.id}/${json.body.id}/`, { token: bob.access })).status).toBe(204);
    expect(await inHistory(carol, group.id, parent.id)).toMatchObject({ reply_count: 3 }); // not lowered twice
    expect((await api("DELETE", `/api/messages/${group.id}/${parent.id}/`, { token: alice.access })).status).toBe(204);
    expect(await inHistory(carol, group.id, multipart.body.id)).toMatchObject({ reply_to: parent.id, message: "multipart answer" });
    await Promise.all([watcher.close(), socket.close()]);
  });

  test("reply_to a message of another conversation, a deleted or unknown one, or not an id: 400 {reply_to}; nothing stored", async () => {
    const elsewhere = await sendText(api, bob, bobCarol, "in the direct conversation");
    const deleted = await sendText(api, bob, group.id, "deleted parent");
    expect((await api("DELETE", `/api/messages/${group.id}/${deleted.id}/`, { token: bob.access })).status).toBe(204);
    const before = await counts(parley);
    const files = uploadedFiles(parley);
    for (const replyTo of [elsewhere.id, deleted.id, 9_999_999, 0, -1, 1.5, "abc", "12abc", true, [deleted.id], { id: 1 }]) {
      const label = JSON.stringify(replyTo);
      const response = await send(api, bob, group.id, { message: "an answer", reply_to: replyTo });
      expect(response.status, label).toBe(400);
      expect(Object.keys(response.body), label).toEqual(["reply_to"]);
      expect(response.body.reply_to[0], label).toMatch(/message/);
    }
    // Multipart fields are text: numeric ones out of range are refused naming the field too (not non_field_errors).
    for (const replyTo of [String(elsewhere.id), String(deleted.id), "abc", "-3", "0", "1.5", "99999999999999999999999"]) {
      const response = await upload(api, bob, group.id, "bytes", "f.txt", "text/plain", { message: "with a file", reply_to: replyTo });
      expect(response.status, replyTo).toBe(400);
      expect(Object.keys(response.body), replyTo).toEqual(["reply_to"]);
    }
    for (const receiver of ["-3", "0"]) {
      const response = await upload(api, bob, group.id, "bytes", "f.txt", "text/plain", { message: "with a file", receiver_group: receiver });
      expect(response.status, receiver).toBe(400);
      expect(Object.keys(response.body), receiver).toEqual(["receiver_group"]);
    }
    expect(await counts(parley)).toEqual(before);
    expect(uploadedFiles(parley)).toEqual(files); // a refused upload leaves no bytes behind

    const socket = await socketOf(bob);
    socket.send({ type: "message.send", ref: "bad", conversation_id: group.id, message: "ws answer", reply_to: elsewhere.id });
    const error = await socket.next((f) => f.type === "error" && f.ref === "bad");
    expect(error.data).toMatchObject({ code: "invalid" });
    expect(error.data.message).toContain("reply_to");
    socket.send({ type: "message.send", ref: "bad2", conversation_id: group.id, message: "ws answer", reply_to: "7" });
    expect((await socket.next((f) => f.type === "error" && f.ref === "bad2")).data.code).toBe("invalid");
    expect((await counts(parley)).messages).toBe(before.messages);
    await socket.close();
  });

  test("GET …/replies/: oldest first, ?after= and ?limit= page through; members only; bad input 400/404", async () => {
    const parent = await sendText(api, alice, group.id, "page my replies");
    const other = await sendText(api, alice, group.id, "another parent");
    const replies: number[] = [];
    for (let i = 0; i < 5; i++) {
      replies.push((await send(api, i % 2 ? carol : bob, group.id, { message: `reply ${i}`, reply_to: parent.id })).body.id);
      await send(api, bob, group.id, { message: `noise ${i}`, reply_to: other.id });
      await sendText(api, carol, group.id, `plain ${i}`);
    }
    const all = await repliesOf(carol, parent.id);
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(replies);
    expect(all.body.map((m: { message: string }) => m.message)).toEqual(["reply 0", "reply 1", "reply 2", "reply 3", "reply 4"]);
    expect(all.body.every((m: { reply_to: number }) => m.reply_to === parent.id)).toBe(true);

    const pages: number[][] = [];
    let after = 0;
    for (;;) {
      const page = await repliesOf(bob, parent.id, `?limit=2&after=${after}`);
      expect(page.status).toBe(200);
      if (page.body.length === 0) break;
      pages.push(ids(page.body));
      after = page.body.at(-1).id;
    }
    expect(pages).toEqual([replies.slice(0, 2), replies.slice(2, 4), replies.slice(4)]);
    expect(ids((await repliesOf(bob, parent.id, `?after=${replies[2]}`)).body)).toEqual(replies.slice(3));
    expect((await repliesOf(bob, other.id)).body).toHaveLength(5);
    expect((await repliesOf(bob, replies[0]!)).body).toEqual([]);

    for (const query of ["?limit=0", "?limit=101", "?limit=abc", "?after=-1", "?after=abc", "?after=1.5"]) {
      const response = await repliesOf(bob, parent.id, query);
      expect(response.status, query).toBe(400);
      expect(Object.keys(response.body).length, query).toBeGreaterThan(0);
    }
    expectRefused(await repliesOf(eve, parent.id), 403);
    expectRefused(await repliesOf(staff, parent.id), 403);
    expectRefused(await repliesOf(undefined, parent.id), 401);
    expectRefused(await repliesOf(bob, 9_999_999), 404);
    const elsewhere = await sendText(api, bob, bobCarol, "direct parent");
    expectRefused(await repliesOf(bob, elsewhere.id), 404); // a message of another conversation
    expectRefused(await repliesOf(bob, elsewhere.id, "", bobCarol + 1_000_000), 404);
    for (const bad of ["abc", "-1", "1.5", "99999999999999999999"]) {
      expect([400, 404], bad).toContain((await repliesOf(bob, bad)).status);
      expect([400, 404], bad).toContain((await repliesOf(bob, parent.id, "", bad)).status);
    }
  });
});

describe("pins", () => {
  const pin = (user: TestUser | undefined, conversationId: number | string, id: number | string) =>
    api("POST", `/api/messages/${conversationId}/${id}/pin/`, { token: user?.access });
  const unpin = (user: TestUser | undefined, conversationId: number | string, id: number | string) =>
    api("DELETE", `/api/messages/${conversationId}/${id}/pin/`, { token: user?.access });
  const pins = (user: TestUser | undefined, conversationId: number | string) =>
    api("GET", `/api/conversations/${conversationId}/pins/`, { token: user?.access });
  const pinnedAt = async (id: number) => await db.selectFrom("messages").select(["pinned_at", "pinned_by"]).where("id", "=", id).executeTakeFirstOrThrow();

  test("in a group: the owner and admins pin and unpin; a plain member, a stranger, staff outside 403; anonymous 401", async () => {
    const message = await sendText(api, bob, group.id, "pin me");
    const seq = await lastSeq();
    for (const [label, user] of [
      ["sender, a plain member", bob],
      ["plain member", carol],
      ["stranger", eve],
      ["staff, not a member", staff],
    ] as const) {
      expectRefused(await pin(user, group.id, message.id), 403, [], label);
    }
    expectRefused(await pin(undefined, group.id, message.id), 401);
    expect(await pinnedAt(message.id)).toEqual({ pinned_at: null, pinned_by: null });
    expect(await lastSeq()).toBe(seq);

    const byOwner = await pin(alice, group.id, message.id);
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toMatchObject({ id: message.id, pinned: true, message: "pin me" });
    expect(await pinnedAt(message.id)).toEqual({ pinned_at: expect.any(Number), pinned_by: alice.id });
    expect(await inHistory(carol, group.id, message.id)).toMatchObject({ pinned: true });
    const seq2 = await lastSeq();
    expect((await pin(dave, group.id, message.id)).status).toBe(200); // already pinned: nothing changes
    expect(await lastSeq()).toBe(seq2);
    expect((await pinnedAt(message.id)).pinned_by).toBe(alice.id);

    expectRefused(await unpin(carol, group.id, message.id), 403);
    expectRefused(await unpin(bob, group.id, message.id), 403);
    expectRefused(await unpin(eve, group.id, message.id), 403);
    expectRefused(await unpin(undefined, group.id, message.id), 401);
    expect((await pinnedAt(message.id)).pinned_at).not.toBeNull();
    const byAdmin = await unpin(dave, group.id, message.id);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.pinned).toBe(false);
    expect(await pinnedAt(message.id)).toEqual({ pinned_at: null, pinned_by: null });
    expect((await unpin(dave, group.id, message.id)).status).toBe(200);
    expect((await pin(dave, group.id, message.id)).body.pinned).toBe(true);
    expect((await pinnedAt(message.id)).pinned_by).toBe(dave.id);
  });

  test("in a direct conversation either side pins and unpins; an outsider may not", async () => {
    const message = await sendText(api, bob, bobCarol, "our pin");
    expect((await pin(carol, bobCarol, message.id)).body.pinned).toBe(true);
    expect((await unpin(bob, bobCarol, message.id)).body.pinned).toBe(false);
    expect((await pin(bob, bobCarol, message.id)).body.pinned).toBe(true);
    expectRefused(await unpin(alice, bobCarol, message.id), 403);
    expectRefused(await unpin(staff, bobCarol, message.id), 403);
    expect((await pinnedAt(message.id)).pinned_by).toBe(bob.id);
  });

  test("unknown, another conversation's, malformed and deleted messages: 404, 404, 404, 409", async () => {
    const elsewhere = await sendText(api, bob, bobCarol, "direct message");
    expectRefused(await pin(alice, group.id, 9_999_999), 404);
    expectRefused(await pin(alice, group.id, elsewhere.id), 404);
    expectRefused(await unpin(alice, group.id, elsewhere.id), 404);
    expectRefused(await pin(alice, 9_999_999, elsewhere.id), 404);
    for (const bad of ["abc", "-1", "1.5", "99999999999999999999"]) {
      expect([400, 404], bad).toContain((await pin(alice, group.id, bad)).status);
      expect([400, 404], bad).toContain((await pin(alice, bad, elsewhere.id)).status);
    }
    expect((await pinnedAt(elsewhere.id)).pinned_at).toBeNull();
    const doomed = await sendText(api, bob, group.id, "deleted");
    expect((await pin(alice, group.id, doomed.id)).status).toBe(200);
    expect((await api("DELETE", `/api/messages/${group.id}/${doomed.id}/`, { token: bob.access })).status).toBe(204);
    expectRefused(await pin(alice, group.id, doomed.id), 409);
    expectRefused(await unpin(alice, group.id, doomed.id), 409);
    expect(await pinnedAt(doomed.id)).toEqual({ pinned_at: null, pinned_by: null });
  });

  test("GET …/pins/: most recently pinned first, unpinned and deleted ones gone; members only", async () => {
    const fresh = await createGroup(api, alice, [bob.id]);
    const [m1, m2, m3] = [await sendText(api, bob, fresh.id, "one"), await sendText(api, bob, fresh.id, "two"), await sendText(api, bob, fresh.id, "three")];
    expect((await pins(bob, fresh.id)).body).toEqual([]);
    for (const m of [m2, m3, m1]) {
      expect((await pin(alice, fresh.id, m.id)).status).toBe(200);
      await nextMillisecond();
    }
    const listed = await pins(bob, fresh.id);
    expect(listed.status).toBe(200);
    expect(ids(listed.body)).toEqual([m1.id, m3.id, m2.id]);
    expect(listed.body.every((m: { pinned: boolean }) => m.pinned)).toBe(true);
    expect((await unpin(alice, fresh.id, m3.id)).status).toBe(200);
    expect((await api("DELETE", `/api/messages/${fresh.id}/${m1.id}/`, { token: bob.access })).status).toBe(204);
    expect(ids((await pins(alice, fresh.id)).body)).toEqual([m2.id]);
    expectRefused(await pins(eve, fresh.id), 403);
    expectRefused(await pins(staff, fresh.id), 403);
    expectRefused(await pins(undefined, fresh.id), 401);
    expectRefused(await pins(bob, 9_999_999), 404);
    for (const bad of ["abc", "-1", "1.5", "99999999999999999999"]) expect([400, 404], bad).toContain((await pins(bob, bad)).status);
  });

  test("message.pinned / message.unpinned reach members live (not strangers) and replay identically", async () => {
    const message = await sendText(api, bob, group.id, "watch the pin");
    const since = await lastSeq();
    const [carolLive, eveLive] = await Promise.all([socketOf(carol), socketOf(eve)]);
    const of = (type: string) => (f: Frame) => f.type === type && f.data?.message_id === message.id;
    expect((await pin(dave, group.id, message.id)).status).toBe(200);
    const pinned = await carolLive.next(of("message.pinned"));
    expect(pinned).toEqual({ type: "message.pinned", conversation_id: group.id, seq: since + 1, data: { message_id: message.id, user_id: dave.id } });
    expect((await unpin(alice, group.id, message.id)).status).toBe(200);
    const unpinned = await carolLive.next(of("message.unpinned"));
    expect(unpinned).toEqual({ type: "message.unpinned", conversation_id: group.id, seq: since + 2, data: { message_id: message.id, user_id: alice.id } });

    const resumed = await socketOf(bob, since);
    expect([await resumed.next(of("message.pinned")), await resumed.next(of("message.unpinned"))]).toEqual([pinned, unpinned]);
    const strangerResumed = await socketOf(eve, since);
    await send(api, eve, 0, { receiver_user: eve.id, message: "eve marker" });
    await eveLive.next((f) => f.type === "message.created" && f.data.message === "eve marker");
    await strangerResumed.next((f) => f.type === "message.created" && f.data.message === "eve marker");
    expect([...eveLive.frames, ...strangerResumed.frames].filter((f) => f.conversation_id === group.id)).toEqual([]);
    await Promise.all([carolLive.close(), eveLive.close(), resumed.close(), strangerResumed.close()]);
  });
});

describe("mentions", () => {
  const mentionRows = async (id: number) =>
    (await db.selectFrom("message_mentions").select("user_id").where("message_id", "=", id).execute()).map((r) => r.user_id).sort((a, b) => a - b);
  const mentionsOf = (user: TestUser | undefined, query = "") => api("GET", `/api/mentions/${query}`, { token: user?.access });

  test("@name at a word's start resolves to a member (with trailing punctuation or in parentheses); not inside a word, not a stranger, not oneself", async () => {
    const c = carol.username;
    const cases: [string, number[]][] = [
      [`@${c}`, [carol.id]],
      [`hi @${c}.`, [carol.id]],
      [`(@${c})`, [carol.id]],
      [`@${c}, @${c}!`, [carol.id]],
      [`ask @${c}... or @${dave.username}?`, [carol.id, dave.id].sort((a, b) => a - b)],
      [`@${c.toUpperCase()}`, [carol.id]],
      [`mail@${c}.org`, []],
      [`write to ${c}@example.com`, []],
      [`@${c}x`, []],
      [`@${eve.username} is not in the group`, []],
      [`@${bob.username} talks to himself`, []],
      [`@ ${c}`, []],
      [`@@${c}`, []],
      ["nobody here", []],
    ];
    for (const [text, expected] of cases) {
      const sent = await sendText(api, bob, group.id, text);
      expect(sent.mentions, text).toEqual(expected);
      expect(await mentionRows(sent.id), text).toEqual(expected);
      expect((await db.selectFrom("messages").select("mentions").where("id", "=", sent.id).executeTakeFirstOrThrow()).mentions, text).toBe(
        expected.length ? JSON.stringify(expected) : null,
      );
    }
    // Over the WebSocket the same rules apply, and the created event carries the mentions.
    const socket = await socketOf(carol);
    const ws = await socketOf(bob);
    ws.send({ type: "message.send", ref: "m", conversation_id: group.id, message: `ws @${c}` });
    expect((await ws.next((f) => f.type === "ack" && f.ref === "m")).data.mentions).toEqual([carol.id]);
    expect((await socket.next((f) => f.type === "message.created" && f.data.message === `ws @${c}`)).data.mentions).toEqual([carol.id]);
    await Promise.all([socket.close(), ws.close()]);
  });

  test("GET /api/mentions/: mine only, newest first, ?before= and ?limit= page through; gone after a leave or a delete", async () => {
    const [frank, gina] = await registerUsers(api, ["frank", "gina"]);
    const room = await createGroup(api, frank, [gina.id, bob.id]);
    const direct = await directWith(api, gina, frank);
    const expected: number[] = [];
    for (let i = 0; i < 5; i++) {
      expected.push((await sendText(api, frank, room.id, `@${gina.username} number ${i}`)).id);
      await sendText(api, frank, room.id, `@${bob.username} not gina's ${i}`);
      await sendText(api, frank, room.id, `gina without a mention ${i}`);
    }
    const inDirect = (await sendText(api, frank, direct, `direct @${gina.username}`)).id;
    expected.push(inDirect);
    const newestFirst = [...expected].sort((a, b) => b - a);

    const all = await mentionsOf(gina);
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(newestFirst);
    expect(all.body.every((m: { mentions: number[] }) => m.mentions.includes(gina.id))).toBe(true);
    expect(ids((await mentionsOf(frank)).body)).toEqual([]);

    const pages: number[][] = [];
    let before = "";
    for (;;) {
      const page = await mentionsOf(gina, `?limit=4${before}`);
      expect(page.status).toBe(200);
      if (page.body.length === 0) break;
      pages.push(ids(page.body));
      before = `&before=${page.body.at(-1).id}`;
    }
    expect(pages).toEqual([newestFirst.slice(0, 4), newestFirst.slice(4)]);

    expect((await api("DELETE", `/api/messages/${room.id}/${expected[4]}/`, { token: frank.access })).status).toBe(204);
    expect(ids((await mentionsOf(gina)).body)).toEqual(newestFirst.filter((id) => id !== expected[4]));
    expect((await api("POST", `/api/groups/${room.id}/leave/`, { token: gina.access })).status).toBe(200);
    expect(ids((await mentionsOf(gina)).body)).toEqual([inDirect]);

    for (const query of ["?limit=0", "?limit=101", "?limit=x", "?before=0", "?before=-5", "?before=abc"]) {
      const response = await mentionsOf(gina, query);
      expect(response.status, query).toBe(400);
      expect(Object.keys(response.body).length, query).toBeGreaterThan(0);
    }
    expectRefused(await mentionsOf(undefined), 401);
  });
});
