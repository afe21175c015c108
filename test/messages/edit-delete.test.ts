// Editing and deleting messages: who may do which, bad input refused with a 4xx, the live events and their replay,
// and a delete that removes the text, the file (row and bytes), mentions, reactions and pin from storage and the log.
import { describe, expect, test } from "bun:test";
import type { TestUser } from "../helpers";
import { cast, lastSeq as lastSeqOf, socketOf as socketOfUser } from "./feature-helpers";
import type { Frame, TestSocket } from "../ws-helpers";
import { expectRefused, ISO_TIMESTAMP, makeStaff, registerUsers, send, sendText, upload, uploadedFiles } from "../chat-helpers";

const { server, api, alice, bob, carol, dave, eve, staff, group, bobCarol } = await cast();
const parley = server.parley;
const db = parley.ctx.db;

/** Conversation/message path ids that name nothing: not numbers, fractions, negative, zero, beyond any id. */
const malformedPaths = (messageId: number): [number | string, number | string][] => [
  ["abc", messageId],
  [bobCarol, "abc"],
  [bobCarol, "1.5"],
  [bobCarol, "-1"],
  [bobCarol, "0"],
  [bobCarol, "99999999999999999999"],
];
const path = (conversationId: number | string, messageId: number | string) => `/api/messages/${conversationId}/${messageId}/`;
const edit = (user: TestUser | undefined, conversationId: number | string, messageId: number | string, body: unknown) =>
  api("PATCH", path(conversationId, messageId), { token: user?.access, body });
const remove = (user: TestUser | undefined, conversationId: number | string, messageId: number | string) =>
  api("DELETE", path(conversationId, messageId), { token: user?.access });
const row = (id: number) => db.selectFrom("messages").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const eventsOf = (messageId: number) => db.selectFrom("events").selectAll().where("message_id", "=", messageId).orderBy("seq").execute();
const lastSeq = () => lastSeqOf(server);
const socketOf = (user: TestUser, since?: number): Promise<TestSocket> => socketOfUser(server, user, since);
const about = (type: string, messageId: number) => (f: Frame) => f.type === type && (f.data?.id === messageId || f.data?.message_id === messageId);

describe("PATCH /api/messages/{conversation_id}/{message_id}/", () => {
  test("the sender edits: 200 with the new text and edited_at; the row keeps it", async () => {
    const message = await sendText(api, bob, group.id, "first draft");
    expect(message.edited_at).toBeNull();
    const before = Date.now();
    const response = await edit(bob, group.id, message.id, { message: "second draft" });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: message.id,
      conversation_id: group.id,
      sender: bob.id,
      message: "second draft",
      deleted: false,
      timestamp: message.timestamp,
    });
    expect(response.body.edited_at).toMatch(ISO_TIMESTAMP);
    expect(Date.parse(response.body.edited_at)).toBeGreaterThanOrEqual(before - 1);
    const stored = await row(message.id);
    expect(stored).toMatchObject({ body: "second draft", edited_at: Date.parse(response.body.edited_at), deleted_at: null });
    const history = await api("GET", `/api/messages/${group.id}/`, { token: carol.access });
    expect(history.body.find((m: { id: number }) => m.id === message.id)).toMatchObject({ message: "second draft", edited_at: response.body.edited_at });
  });

  test("nobody but the sender may edit: other member, owner, admin, stranger, staff 403; anonymous 401; the row unchanged", async () => {
    const message = await sendText(api, bob, group.id, "only bob edits this");
    await makeStaff(parley, staff.id);
    const staffMember = (await registerUsers(api, ["staffmember"]))[0];
    await makeStaff(parley, staffMember.id);
    await api("POST", `/api/groups/${group.id}/join/`, { token: staffMember.access });
    const seq = await lastSeq();
    for (const [label, user] of [
      ["other member", carol],
      ["owner", alice],
      ["admin", dave],
      ["stranger", eve],
      ["staff, not a member", staff],
      ["staff, a member", staffMember],
    ] as const) {
      expectRefused(await edit(user, group.id, message.id, { message: `changed by ${label}` }), 403, [], label);
    }
    expectRefused(await edit(undefined, group.id, message.id, { message: "changed anonymously" }), 401);
    expect(await row(message.id)).toMatchObject({ body: "only bob edits this", edited_at: null });
    expect(await lastSeq()).toBe(seq);
    // In a direct conversation the other side may not edit either.
    const direct = await sendText(api, bob, bobCarol, "direct text");
    expectRefused(await edit(carol, bobCarol, direct.id, { message: "carol's version" }), 403);
    expect((await edit(bob, bobCarol, direct.id, { message: "bob's version" })).status).toBe(200);
  });

  test("unknown message 404, another conversation's message 404, malformed ids 404 (never 500)", async () => {
    const inDirect = await sendText(api, bob, bobCarol, "lives in the direct conversation");
    expectRefused(await edit(bob, group.id, 9_999_999, { message: "x" }), 404);
    expectRefused(await edit(bob, group.id, inDirect.id, { message: "moved?" }), 404);
    expectRefused(await edit(bob, 9_999_999, inDirect.id, { message: "x" }), 404);
    for (const [cid, mid] of [...malformedPaths(inDirect.id), ["1e3", inDirect.id], [bobCarol, "%00"]] as const) {
      const response = await edit(bob, cid, mid, { message: "x" });
      expect([400, 404], `${cid}/${mid}: ${response.status}`).toContain(response.status);
      expect(response.headers.get("content-type") ?? "").toContain("application/json");
    }
    expect((await row(inDirect.id)).body).toBe("lives in the direct conversation");
  });

  test("empty, blank, too long, NUL-carrying, missing or non-string text is a 400 naming message; nothing changes", async () => {
    const message = await sendText(api, bob, group.id, "stays as it is");
    const seq = await lastSeq();
    for (const body of [
      { message: "" },
      { message: "   \n\t " },
      { message: "x".repeat(10_001) },
      { message: "nul\u0000inside" },
      {},
      { message: 42 },
      { message: null },
      { message: ["a"] },
    ]) {
      const response = await edit(bob, group.id, message.id, body);
      expect(response.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body).slice(0, 40)).toEqual(["message"]);
      expect(Array.isArray(response.body.message)).toBe(true);
    }
    const malformed = await api("PATCH", path(group.id, message.id), { token: bob.access, body: "{not json", headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(await row(message.id)).toMatchObject({ body: "stays as it is", edited_at: null });
    expect(await lastSeq()).toBe(seq);
    // The limit is 10,000 characters, not UTF-16 units: 10,000 emoji are fine.
    const long = await edit(bob, group.id, message.id, { message: "😀".repeat(10_000) });
    expect(long.status).toBe(200);
    expect([...(await row(message.id)).body].length).toBe(10_000);
  });

  test("a message with a file may lose its text; the same text again changes nothing and announces nothing", async () => {
    const sent = await upload(api, bob, group.id, "file bytes", "notes.txt", "text/plain", { message: "caption" });
    expect(sent.status).toBe(201);
    const cleared = await edit(bob, group.id, sent.body.id, { message: "" });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ message: "", attachment: { name: "notes.txt" } });
    const seq = await lastSeq();
    const same = await edit(bob, group.id, sent.body.id, { message: "" });
    expect(same.status).toBe(200);
    expect(same.body.edited_at).toBe(cleared.body.edited_at);
    expect(await lastSeq()).toBe(seq);
  });

  test("editing a deleted message is a 409, and the tombstone stays empty", async () => {
    const message = await sendText(api, bob, group.id, "soon gone");
    expect((await remove(bob, group.id, message.id)).status).toBe(204);
    const response = await edit(bob, group.id, message.id, { message: "back from the dead" });
    expectRefused(response, 409);
    expect(response.body.code).toBe("conflict");
    expect(await row(message.id)).toMatchObject({ body: "", edited_at: null });
  });

  test("an edit resolves mentions again: rows, the answer, the event and GET /api/mentions/ follow the new text", async () => {
    const message = await sendText(api, bob, group.id, `hello @${carol.username}`);
    expect(message.mentions).toEqual([carol.id]);
    const mentionRows = async () =>
      (await db.selectFrom("message_mentions").select("user_id").where("message_id", "=", message.id).execute()).map((r) => r.user_id).sort();
    const mentionsOf = async (user: TestUser) => ((await api("GET", "/api/mentions/", { token: user.access })).body as { id: number }[]).map((m) => m.id);
    expect(await mentionRows()).toEqual([carol.id]);
    expect(await mentionsOf(carol)).toContain(message.id);

    const watcher = await socketOf(alice);
    const edited = await edit(bob, group.id, message.id, { message: `now @${dave.username} and @${alice.username}, not carol` });
    expect(edited.status).toBe(200);
    expect(edited.body.mentions).toEqual([alice.id, dave.id].sort((a, b) => a - b));
    expect(await mentionRows()).toEqual([alice.id, dave.id].sort((a, b) => a - b));
    expect((await row(message.id)).mentions).toBe(JSON.stringify([alice.id, dave.id].sort((a, b) => a - b)));
    const event = await watcher.next(about("message.updated", message.id));
    expect(event.data.mentions).toEqual(edited.body.mentions);
    expect(await mentionsOf(carol)).not.toContain(message.id);
    expect(await mentionsOf(dave)).toContain(message.id);

    const none = await edit(bob, group.id, message.id, { message: "nobody at all" });
    expect(none.body.mentions).toEqual([]);
    expect(await mentionRows()).toEqual([]);
    expect((await row(message.id)).mentions).toBeNull();
    expect(await mentionsOf(dave)).not.toContain(message.id);
    await watcher.close();
  });
});

describe("DELETE /api/messages/{conversation_id}/{message_id}/", () => {
  test("the sender, the group's owner and admin, and staff (member or not) delete: 204 and a tombstone", async () => {
    for (const [label, user] of [
      ["sender", bob],
      ["owner", alice],
      ["admin", dave],
      ["staff, not a member", staff],
    ] as const) {
      const message = await sendText(api, bob, group.id, `deleted by ${label}`);
      const response = await remove(user, group.id, message.id);
      expect(response.status, label).toBe(204);
      expect(await row(message.id), label).toMatchObject({ body: "", deleted_at: expect.any(Number) });
      const history = await api("GET", `/api/messages/${group.id}/`, { token: carol.access });
      expect(
        history.body.find((m: { id: number }) => m.id === message.id),
        label,
      ).toMatchObject({ deleted: true, message: "", file: null, attachment: null });
    }
    // Staff may delete in a direct conversation they are not in too.
    const direct = await sendText(api, bob, bobCarol, "direct, deleted by staff");
    expect((await remove(staff, bobCarol, direct.id)).status).toBe(204);
    expect((await row(direct.id)).deleted_at).not.toBeNull();
  });

  test("another member, the other side of a direct conversation, a stranger 403; anonymous 401; nothing changes", async () => {
    const message = await sendText(api, bob, group.id, "not yours to delete");
    const direct = await sendText(api, bob, bobCarol, "not carol's to delete");
    const seq = await lastSeq();
    expectRefused(await remove(carol, group.id, message.id), 403);
    expectRefused(await remove(eve, group.id, message.id), 403);
    expectRefused(await remove(undefined, group.id, message.id), 401);
    expectRefused(await remove(carol, bobCarol, direct.id), 403);
    expectRefused(await remove(alice, bobCarol, direct.id), 403); // owner of another conversation is a stranger here
    expect(await row(message.id)).toMatchObject({ body: "not yours to delete", deleted_at: null });
    expect(await row(direct.id)).toMatchObject({ body: "not carol's to delete", deleted_at: null });
    expect(await lastSeq()).toBe(seq);
  });

  test("unknown message 404, another conversation's message 404 (staff too), malformed ids 404 (never 500)", async () => {
    const inDirect = await sendText(api, bob, bobCarol, "direct, stays");
    expectRefused(await remove(bob, group.id, 9_999_999), 404);
    expectRefused(await remove(bob, group.id, inDirect.id), 404);
    expectRefused(await remove(alice, group.id, inDirect.id), 404);
    expectRefused(await remove(staff, group.id, inDirect.id), 404);
    expectRefused(await remove(staff, 9_999_999, inDirect.id), 404);
    for (const [cid, mid] of [...malformedPaths(inDirect.id), [bobCarol, "%ZZ"]] as const) {
      const response = await remove(bob, cid, mid);
      expect([400, 404], `${cid}/${mid}: ${response.status}`).toContain(response.status);
    }
    expect((await row(inDirect.id)).deleted_at).toBeNull();
  });

  test("deleting again answers 204 and announces nothing more", async () => {
    const message = await sendText(api, bob, group.id, "twice");
    expect((await remove(bob, group.id, message.id)).status).toBe(204);
    const seq = await lastSeq();
    expect((await remove(bob, group.id, message.id)).status).toBe(204);
    expect((await remove(alice, group.id, message.id)).status).toBe(204);
    expect(await lastSeq()).toBe(seq);
  });
});

describe("events: live on another member's socket, the same frames on resume", () => {
  test("message.updated and message.deleted reach members (not strangers) and replay identically with since", async () => {
    const message = await sendText(api, bob, group.id, "to be edited");
    const since = await lastSeq();
    const carolLive = await socketOf(carol);
    const eveLive = await socketOf(eve);
    const edited = await edit(bob, group.id, message.id, { message: `edited, hi @${carol.username}` });
    const updated = await carolLive.next(about("message.updated", message.id));
    expect(updated).toMatchObject({ conversation_id: group.id, seq: since + 1 });
    expect(updated.data).toEqual({
      id: message.id,
      conversation_id: group.id,
      message: `edited, hi @${carol.username}`,
      edited_at: edited.body.edited_at,
      mentions: [carol.id],
    });

    // Replay before the delete: the very frame seen live.
    const early = await socketOf(carol, since);
    expect(await early.next(about("message.updated", message.id))).toEqual(updated);
    await early.close();

    expect((await remove(alice, group.id, message.id)).status).toBe(204);
    const deleted = await carolLive.next(about("message.deleted", message.id));
    expect(deleted).toEqual({ type: "message.deleted", conversation_id: group.id, seq: updated.seq! + 1, data: { id: message.id, conversation_id: group.id } });

    const resumed = await socketOf(carol, since);
    expect(await resumed.next(about("message.deleted", message.id))).toEqual(deleted);
    // The edit's replay is scrubbed now: the tombstone, not the edited text.
    const replayedEdit = resumed.frames.find(about("message.updated", message.id))!;
    expect(replayedEdit.seq).toBe(updated.seq);
    expect(replayedEdit.data).toMatchObject({ id: message.id, message: "", deleted: true, mentions: [] });

    // A stranger heard nothing of it.
    await send(api, eve, 0, { receiver_user: eve.id, message: "eve's marker" });
    await eveLive.next((f) => f.type === "message.created" && f.data.message === "eve's marker");
    expect(eveLive.frames.filter((f) => f.conversation_id === group.id)).toEqual([]);
    await Promise.all([carolLive.close(), eveLive.close(), resumed.close()]);
  });
});

describe("a delete removes the content from storage, not just from view", () => {
  test("text, file row and bytes, mentions, reactions and pin are gone; a resume from 0 holds none of it", async () => {
    const secretText = `swordfish-${crypto.randomUUID()}`;
    const secretName = `plans-${crypto.randomUUID()}.txt`;
    const filesBefore = uploadedFiles(parley);
    const sent = await upload(api, bob, group.id, "top secret bytes", secretName, "text/plain", { message: `${secretText} for @${carol.username}` });
    expect(sent.status).toBe(201);
    const id = sent.body.id as number;
    const fileId = (await row(id)).file_id!;
    const storageName = (await db.selectFrom("files").select("storage_name").where("id", "=", fileId).executeTakeFirstOrThrow()).storage_name;
    expect(uploadedFiles(parley)).toEqual([...filesBefore, storageName].sort());
    const signedUrl = sent.body.file as string;
    expect((await api("GET", signedUrl)).status).toBe(200);
    expect((await edit(bob, group.id, id, { message: `${secretText} v2 for @${dave.username}` })).status).toBe(200);
    expect((await api("POST", `${path(group.id, id)}reactions/`, { token: carol.access, body: { emoji: "👍" } })).status).toBe(201);
    expect((await api("POST", `${path(group.id, id)}pin/`, { token: alice.access })).status).toBe(200);
    expect(await row(id)).toMatchObject({ reactions: expect.any(String), pinned_at: expect.any(Number), mentions: JSON.stringify([dave.id]) });
    expect(await db.selectFrom("message_mentions").selectAll().where("message_id", "=", id).execute()).toHaveLength(1);

    expect((await remove(bob, group.id, id)).status).toBe(204);
    expect(await row(id)).toMatchObject({
      body: "",
      deleted_at: expect.any(Number),
      file_id: null,
      client_id: null,
      reactions: null,
      mentions: null,
      pinned_at: null,
      pinned_by: null,
      edited_at: expect.any(Number),
    });
    expect(await db.selectFrom("files").selectAll().where("id", "=", fileId).execute()).toEqual([]);
    expect(await db.selectFrom("message_mentions").selectAll().where("message_id", "=", id).execute()).toEqual([]);
    expect(uploadedFiles(parley)).toEqual(filesBefore);
    expectRefused(await api("GET", signedUrl), 404); // the link handed out before no longer leads anywhere
    expectRefused(await api("GET", `/api/messages/files/${id}/`, { token: carol.access }), 404);
    const pins = await api("GET", `/api/conversations/${group.id}/pins/`, { token: carol.access });
    expect(pins.body.map((m: { id: number }) => m.id)).not.toContain(id);

    // Nothing of it in the event log's rows, nor in what a resume from the beginning replays.
    const logged = JSON.stringify(await eventsOf(id));
    expect(logged).not.toContain(secretText);
    expect(logged).not.toContain(secretName);
    const allEvents = JSON.stringify(await db.selectFrom("events").select("data").execute());
    expect(allEvents).not.toContain(secretText);
    expect(allEvents).not.toContain(secretName);
    const resumed = await socketOf(carol, 0);
    await resumed.next(about("message.deleted", id));
    const replayed = JSON.stringify(resumed.frames);
    expect(replayed).toContain(`"id":${id}`);
    expect(replayed).not.toContain(secretText);
    expect(replayed).not.toContain(secretName);
    const created = resumed.frames.find((f) => f.type === "message.created" && f.data.id === id)!;
    expect(created.data).toMatchObject({ message: "", file: null, attachment: null, deleted: true, mentions: [], reactions: [], pinned: false });
    // And nothing in the REST history either (the cached newest page was forgotten).
    const history = JSON.stringify((await api("GET", `/api/messages/${group.id}/?limit=100`, { token: carol.access })).body);
    expect(history).not.toContain(secretText);
    expect(history).not.toContain(secretName);
    await resumed.close();
  });
});
