// Emoji reactions: add and take back (idempotent), counts and a per-viewer `me` wherever a message is shown (also
// from the cached newest page), live and replayed events, bad emoji and bad paths refused with a 4xx, the 50 cap.
import { describe, expect, test } from "bun:test";
import { listen, type TestUser } from "../helpers";
import { lastSeq as lastSeqOf, socketOf as socketOfUser } from "./feature-helpers";
import type { Frame, TestSocket } from "../ws-helpers";
import { createGroup, expectRefused, registerUsers, sendText } from "../chat-helpers";

const { server, api } = await listen();
const parley = server.parley;
const db = parley.ctx.db;
const [alice, bob, carol, eve] = await registerUsers(api, ["alice", "bob", "carol", "eve"]);
const group = await createGroup(api, alice, [bob.id, carol.id]);

const reactionsPath = (messageId: number | string, conversationId: number | string = group.id) => `/api/messages/${conversationId}/${messageId}/reactions/`;
const react = (user: TestUser | undefined, messageId: number | string, emoji: unknown, conversationId: number | string = group.id) =>
  api("POST", reactionsPath(messageId, conversationId), { token: user?.access, body: { emoji } });
const unreactRaw = (user: TestUser | undefined, messageId: number | string, encodedEmoji: string, conversationId: number | string = group.id) =>
  api("DELETE", `${reactionsPath(messageId, conversationId)}${encodedEmoji}/`, { token: user?.access });
const unreact = (user: TestUser | undefined, messageId: number | string, emoji: string) => unreactRaw(user, messageId, encodeURIComponent(emoji));
const storedReactions = async (id: number) => {
  const { reactions } = await db.selectFrom("messages").select("reactions").where("id", "=", id).executeTakeFirstOrThrow();
  return reactions === null ? null : JSON.parse(reactions);
};
const lastSeq = () => lastSeqOf(server);
const socketOf = (user: TestUser, since?: number): Promise<TestSocket> => socketOfUser(server, user, since);
const history = async (user: TestUser, query = "") =>
  (await api("GET", `/api/messages/${group.id}/${query}`, { token: user.access })).body as { id: number; reactions: unknown }[];
const reactionsIn = async (user: TestUser, id: number, query = "") => (await history(user, query)).find((m) => m.id === id)?.reactions;

describe("adding and taking back", () => {
  test("201 when added, 200 when already there; counts per emoji; DELETE takes back (200), again is a no-op", async () => {
    const message = await sendText(api, alice, group.id, "react to me");
    const first = await react(bob, message.id, "👍");
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ message_id: message.id, reactions: [{ emoji: "👍", count: 1, me: true, users: [bob.id] }] });
    const seq = await lastSeq();
    const again = await react(bob, message.id, "👍");
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await lastSeq()).toBe(seq); // nothing announced

    expect((await react(carol, message.id, "👍")).body.reactions).toEqual([{ emoji: "👍", count: 2, me: true, users: [bob.id, carol.id] }]);
    const party = await react(carol, message.id, "🎉");
    expect(party.status).toBe(201);
    expect(party.body.reactions).toEqual([
      { emoji: "👍", count: 2, me: true, users: [bob.id, carol.id] },
      { emoji: "🎉", count: 1, me: true, users: [carol.id] },
    ]);
    expect(await storedReactions(message.id)).toEqual({ "👍": [bob.id, carol.id], "🎉": [carol.id] });

    const takeBack = await unreact(bob, message.id, "👍");
    expect(takeBack.status).toBe(200);
    expect(takeBack.body).toEqual({
      message_id: message.id,
      reactions: [
        { emoji: "👍", count: 1, me: false, users: [carol.id] },
        { emoji: "🎉", count: 1, me: false, users: [carol.id] },
      ],
    });
    const seq2 = await lastSeq();
    const twice = await unreact(bob, message.id, "👍");
    expect(twice.status).toBe(200);
    expect(twice.body).toEqual(takeBack.body);
    expect(await lastSeq()).toBe(seq2);

    expect((await unreact(carol, message.id, "👍")).body.reactions).toEqual([{ emoji: "🎉", count: 1, me: true, users: [carol.id] }]);
    expect((await unreact(carol, message.id, "🎉")).body.reactions).toEqual([]);
    expect(await storedReactions(message.id)).toBeNull();
  });

  test("compound emoji (ZWJ sequence, flag, keycap, skin tone) round-trip through the URL-encoded DELETE path", async () => {
    const message = await sendText(api, alice, group.id, "compound");
    const emoji = ["👩‍💻", "🇫🇷", "1️⃣", "👍🏽", "❤️"];
    for (const e of emoji) expect((await react(bob, message.id, e)).status, e).toBe(201);
    expect((await reactionsIn(bob, message.id)) as unknown[]).toEqual(emoji.map((e) => ({ emoji: e, count: 1, me: true, users: [bob.id] })));
    for (const e of emoji) {
      const response = await unreact(bob, message.id, e);
      expect(response.status, e).toBe(200);
      expect(response.body.reactions.map((r: { emoji: string }) => r.emoji)).not.toContain(e);
    }
    expect(await storedReactions(message.id)).toBeNull();
    // Surrounding spaces are not part of the emoji.
    expect((await react(bob, message.id, " 🙂 ")).body.reactions).toEqual([{ emoji: "🙂", count: 1, me: true, users: [bob.id] }]);
  });
});

describe("bad input", () => {
  test("not exactly one emoji is a 400 {emoji: [...]}; nothing stored, nothing announced", async () => {
    const message = await sendText(api, alice, group.id, "bad emoji");
    const seq = await lastSeq();
    for (const emoji of ["abc", "👍👍", "", "   ", "a".repeat(65), "👍".repeat(33), "1", "👍a", "a\u20e3", "\u{1F1EB}", "👍\u0301", 42, null, ["👍"]]) {
      const response = await react(bob, message.id, emoji);
      expect(response.status, JSON.stringify(emoji)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(emoji)).toEqual(["emoji"]);
      expect(Array.isArray(response.body.emoji)).toBe(true);
    }
    const missing = await api("POST", reactionsPath(message.id), { token: bob.access, body: {} });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body)).toEqual(["emoji"]);
    expect((await api("POST", reactionsPath(message.id), { token: bob.access, body: "{", headers: { "content-type": "application/json" } })).status).toBe(400);
    // The same rule for the path of a DELETE.
    for (const encoded of ["abc", encodeURIComponent("👍👍"), "a".repeat(65)]) {
      const response = await unreactRaw(bob, message.id, encoded);
      expect([400, 404], encoded).toContain(response.status);
      expect(response.headers.get("content-type") ?? "").toContain("application/json");
    }
    expect(await storedReactions(message.id)).toBeNull();
    expect(await lastSeq()).toBe(seq);
  });

  test("a malformed escape in the DELETE path is a 4xx, never a 500", async () => {
    const message = await sendText(api, alice, group.id, "escapes");
    expect((await react(bob, message.id, "👍")).status).toBe(201);
    // Escaped "%" too: the path is decoded once, so "%25E0%25A4%25A" is the text "%E0%A4%A", not an emoji, not a 500.
    const escapedPercent = ["%25E0%25A4%25A", "%25", "%25ZZ", "a%25", encodeURIComponent(encodeURIComponent("👍"))];
    for (const encoded of ["%E0%A4%A", "%", "%ZZ", "%F0%9F%91", "%C0%80", "%ED%A0%80", "%F0%9F%91%8D%", ...escapedPercent]) {
      const response = await unreactRaw(bob, message.id, encoded);
      expect(response.status, encoded).toBeGreaterThanOrEqual(400);
      expect(response.status, encoded).toBeLessThan(500);
      expect(response.headers.get("content-type") ?? "", encoded).toContain("application/json");
    }
    expect(await storedReactions(message.id)).toEqual({ "👍": [bob.id] });
  });

  test("unknown message 404; another conversation's message 404; malformed ids 404; a deleted message 409", async () => {
    const other = await createGroup(api, bob, [carol.id]);
    const elsewhere = await sendText(api, bob, other.id, "in another group");
    expectRefused(await react(bob, 9_999_999, "👍"), 404);
    expectRefused(await react(bob, elsewhere.id, "👍"), 404);
    expectRefused(await unreact(bob, elsewhere.id, "👍"), 404);
    for (const [cid, mid] of [
      ["abc", elsewhere.id],
      [other.id, "abc"],
      [other.id, "-1"],
      [other.id, "1.5"],
      [other.id, "99999999999999999999"],
    ] as const) {
      const add = await react(bob, mid, "👍", cid);
      expect([400, 404], `POST ${cid}/${mid}`).toContain(add.status);
      const remove = await unreactRaw(bob, mid, encodeURIComponent("👍"), cid);
      expect([400, 404], `DELETE ${cid}/${mid}`).toContain(remove.status);
    }
    const doomed = await sendText(api, alice, group.id, "deleted before anyone reacts");
    expect((await api("DELETE", `/api/messages/${group.id}/${doomed.id}/`, { token: alice.access })).status).toBe(204);
    expectRefused(await react(bob, doomed.id, "👍"), 409);
    expectRefused(await unreact(bob, doomed.id, "👍"), 409);
    expect(await storedReactions(doomed.id)).toBeNull();
  });

  test("a stranger 403, anonymous 401; nothing stored", async () => {
    const message = await sendText(api, alice, group.id, "members only");
    expect((await react(bob, message.id, "👍")).status).toBe(201);
    const seq = await lastSeq();
    expectRefused(await react(eve, message.id, "👍"), 403);
    expectRefused(await unreact(eve, message.id, "👍"), 403);
    expectRefused(await react(undefined, message.id, "👍"), 401);
    expectRefused(await unreact(undefined, message.id, "👍"), 401);
    expect(await storedReactions(message.id)).toEqual({ "👍": [bob.id] });
    expect(await lastSeq()).toBe(seq);
  });

  test("at most 50 different emoji per message; more people on an existing one are fine", async () => {
    const message = await sendText(api, alice, group.id, "fifty");
    const emoji = Array.from({ length: 51 }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const e of emoji.slice(0, 50)) expect((await react(bob, message.id, e)).status, e).toBe(201);
    const over = await react(bob, message.id, emoji[50]);
    expect(over.status).toBe(400);
    expect(Object.keys(over.body)).toEqual(["emoji"]);
    expect((await react(carol, message.id, emoji[50])).status).toBe(400);
    expect((await react(carol, message.id, emoji[0])).status).toBe(201);
    const stored = await storedReactions(message.id);
    expect(Object.keys(stored)).toHaveLength(50);
    expect(stored[emoji[0]!]).toEqual([bob.id, carol.id]);
    // Taking one back makes room again.
    expect((await unreact(bob, message.id, emoji[1]!)).status).toBe(200);
    expect((await react(carol, message.id, emoji[50])).status).toBe(201);
  });
});

describe("`me` is the viewer's own", () => {
  test("in history (also when the cached newest page was made for someone else), the conversation list, and answers", async () => {
    const message = await sendText(api, carol, group.id, "whose reaction?");
    // Warm the cache with a page without reactions, then react: the page must not be served stale.
    expect(await reactionsIn(bob, message.id)).toEqual([]);
    expect((await react(alice, message.id, "🔥")).status).toBe(201);
    for (let round = 0; round < 2; round++) {
      // Each reader in turn, each time right after another one warmed the newest page.
      expect(await reactionsIn(bob, message.id)).toEqual([{ emoji: "🔥", count: 1, me: false, users: [alice.id] }]);
      expect(await reactionsIn(alice, message.id)).toEqual([{ emoji: "🔥", count: 1, me: true, users: [alice.id] }]);
      expect(await reactionsIn(carol, message.id)).toEqual([{ emoji: "🔥", count: 1, me: false, users: [alice.id] }]);
      expect(await reactionsIn(alice, message.id, "?limit=5")).toEqual([{ emoji: "🔥", count: 1, me: true, users: [alice.id] }]);
      expect(await reactionsIn(bob, message.id, "?limit=5")).toEqual([{ emoji: "🔥", count: 1, me: false, users: [alice.id] }]);
      expect(await reactionsIn(bob, message.id, "?page=1")).toEqual([{ emoji: "🔥", count: 1, me: false, users: [alice.id] }]);
      expect(await reactionsIn(alice, message.id, `?after=${message.id - 1}`)).toEqual([{ emoji: "🔥", count: 1, me: true, users: [alice.id] }]);
    }
    const bobReacts = await react(bob, message.id, "🔥");
    expect(bobReacts.body.reactions).toEqual([{ emoji: "🔥", count: 2, me: true, users: [alice.id, bob.id] }]);
    expect(await reactionsIn(carol, message.id)).toEqual([{ emoji: "🔥", count: 2, me: false, users: [alice.id, bob.id] }]);
    expect(await reactionsIn(bob, message.id)).toEqual([{ emoji: "🔥", count: 2, me: true, users: [alice.id, bob.id] }]);

    const lastMessage = async (user: TestUser) =>
      ((await api("GET", "/api/conversations/", { token: user.access })).body as { id: number; last_message: { id: number; reactions: unknown } }[]).find(
        (c) => c.id === group.id,
      )!.last_message;
    expect(await lastMessage(alice)).toMatchObject({ id: message.id, reactions: [{ emoji: "🔥", count: 2, me: true, users: [alice.id, bob.id] }] });
    expect(await lastMessage(carol)).toMatchObject({ id: message.id, reactions: [{ emoji: "🔥", count: 2, me: false, users: [alice.id, bob.id] }] });

    // The pin and edit answers say the caller's own `me` too.
    const pinned = await api("POST", `/api/messages/${group.id}/${message.id}/pin/`, { token: alice.access });
    expect(pinned.body.reactions).toEqual([{ emoji: "🔥", count: 2, me: true, users: [alice.id, bob.id] }]);
    const edited = await api("PATCH", `/api/messages/${group.id}/${message.id}/`, { token: carol.access, body: { message: "edited by carol" } });
    expect(edited.body.reactions).toEqual([{ emoji: "🔥", count: 2, me: false, users: [alice.id, bob.id] }]);
    const pins = await api("GET", `/api/conversations/${group.id}/pins/`, { token: bob.access });
    expect(pins.body.find((m: { id: number }) => m.id === message.id).reactions).toEqual([{ emoji: "🔥", count: 2, me: true, users: [alice.id, bob.id] }]);
  });
});

describe("events", () => {
  test("reaction.added / reaction.removed reach every member's socket (not a stranger's) and replay identically", async () => {
    const message = await sendText(api, alice, group.id, "watch the reactions");
    const since = await lastSeq();
    const [aliceLive, carolLive, eveLive] = await Promise.all([socketOf(alice), socketOf(carol), socketOf(eve)]);
    const of = (type: string) => (f: Frame) => f.type === type && f.data?.message_id === message.id;

    expect((await react(bob, message.id, "👍")).status).toBe(201);
    const added = await carolLive.next(of("reaction.added"));
    expect(added).toEqual({
      type: "reaction.added",
      conversation_id: group.id,
      seq: since + 1,
      data: { message_id: message.id, emoji: "👍", user_id: bob.id, count: 1 },
    });
    expect(await aliceLive.next(of("reaction.added"))).toEqual(added);
    expect((await react(carol, message.id, "👍")).status).toBe(201);
    const second = await aliceLive.next(of("reaction.added"));
    expect(second.data).toEqual({ message_id: message.id, emoji: "👍", user_id: carol.id, count: 2 });
    expect((await react(carol, message.id, "👍")).status).toBe(200); // no event for a no-op
    expect((await unreact(bob, message.id, "👍")).status).toBe(200);
    const removed = await carolLive.next(of("reaction.removed"));
    expect(removed).toEqual({
      type: "reaction.removed",
      conversation_id: group.id,
      seq: second.seq! + 1,
      data: { message_id: message.id, emoji: "👍", user_id: bob.id, count: 1 },
    });
    expect((await unreact(bob, message.id, "👍")).status).toBe(200); // no event for a no-op

    const resumed = await socketOf(bob, since);
    const replayed = [await resumed.next(of("reaction.added")), await resumed.next(of("reaction.added")), await resumed.next(of("reaction.removed"))];
    expect(replayed).toEqual([added, second, removed]);
    expect(resumed.frames.filter((f) => f.seq !== undefined)).toHaveLength(3);

    // A stranger's socket heard none of it, live or on resume.
    const strangerResumed = await socketOf(eve, since);
    await api("POST", "/api/messages/0/send/", { token: eve.access, body: { receiver_user: eve.id, message: "eve marker" } });
    await eveLive.next((f) => f.type === "message.created" && f.data.message === "eve marker");
    await strangerResumed.next((f) => f.type === "message.created" && f.data.message === "eve marker");
    expect(eveLive.frames.filter((f) => f.conversation_id === group.id)).toEqual([]);
    expect(strangerResumed.frames.filter((f) => f.conversation_id === group.id)).toEqual([]);
    await Promise.all([aliceLive.close(), carolLive.close(), eveLive.close(), resumed.close(), strangerResumed.close()]);
  });
});
