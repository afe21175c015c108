// The conversation list is served from a cache: it must never show a stale list after a change that announces itself.
import { describe, expect, test } from "bun:test";
import { ConversationLists } from "../../src/modules/conversations/list-cache";
import { makeApp, queryRows, registerUser } from "../helpers";

describe("the conversation list", async () => {
  const { api, parley } = await makeApp();
  const alice = await registerUser(api, "alice");
  const bob = await registerUser(api, "bob");
  const carol = await registerUser(api, "carol");
  const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "listed", members: [bob.id] } })).body;
  const list = async (token = bob.access) => {
    const answer = await api("GET", "/api/conversations/", { token });
    expect(answer.status).toBe(200);
    return answer.body as any[];
  };
  const entry = async (id: number, token = bob.access) => (await list(token)).find((c) => c.id === id);
  const send = async (token: string, message: string, to = group.id) =>
    (await api("POST", `/api/messages/${to}/send/`, { token, body: { message } })).body as { id: number };

  test("serves a repeated read from the cache: a row changed behind its back (no event) shows once the conversation changes", async () => {
    await send(alice.access, "before");
    expect((await entry(group.id))!.last_message.message).toBe("before");
    await queryRows(parley, "UPDATE conversations SET name = ? WHERE id = ?", ["renamed behind the cache", group.id]);
    expect((await entry(group.id))!.name).toBe("listed"); // a cache hit
    await send(alice.access, "after");
    const fresh = (await entry(group.id))!;
    expect(fresh.name).toBe("renamed behind the cache");
    expect(fresh.last_message.message).toBe("after");
    await queryRows(parley, "UPDATE conversations SET name = ? WHERE id = ?", ["listed", group.id]);
    await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { name: "listed" } });
  });

  test("shows new messages, unread counts, edits and deletions at once", async () => {
    const before = (await entry(group.id))!.unread_count;
    const sent = await send(alice.access, "count me");
    const after = (await entry(group.id))!;
    expect(after.unread_count).toBe(before + 1);
    expect(after.last_message.message).toBe("count me");
    expect((await api("PATCH", `/api/messages/${group.id}/${sent.id}/`, { token: alice.access, body: { message: "edited" } })).status).toBe(200);
    expect((await entry(group.id))!.last_message.message).toBe("edited");
    expect((await api("DELETE", `/api/messages/${group.id}/${sent.id}/`, { token: alice.access })).status).toBe(204);
    expect((await entry(group.id))!.unread_count).toBe(before);
  });

  test("shows the caller's own read marker and mute, and the other members' read markers", async () => {
    const last = await send(alice.access, "read me");
    expect((await entry(group.id))!.unread_count).toBeGreaterThan(0);
    expect((await entry(group.id, alice.access))!.members.find((m: any) => m.id === bob.id).last_read_message_id).not.toBe(last.id);
    expect((await api("POST", `/api/conversations/${group.id}/read/`, { token: bob.access, body: { message_id: last.id } })).status).toBe(200);
    const read = (await entry(group.id))!;
    expect(read.unread_count).toBe(0);
    expect(read.last_read_message_id).toBe(last.id);
    expect((await entry(group.id, alice.access))!.members.find((m: any) => m.id === bob.id).last_read_message_id).toBe(last.id);
    expect((await api("POST", `/api/conversations/${group.id}/mute/`, { token: bob.access })).status).toBe(200);
    expect((await entry(group.id))!.muted).toBe(true);
    expect((await api("DELETE", `/api/conversations/${group.id}/mute/`, { token: bob.access })).status).toBe(200);
    expect((await entry(group.id))!.muted).toBe(false);
  });

  test("shows a conversation the caller was added to, and drops one they were removed from", async () => {
    expect(await entry(group.id, carol.access)).toBeUndefined(); // carol's list is cached without it
    expect((await api("POST", `/api/groups/${group.id}/members/`, { token: alice.access, body: { user_id: carol.id } })).status).toBeLessThan(300);
    expect((await entry(group.id, carol.access))!.members.map((m: any) => m.id)).toContain(carol.id);
    expect((await entry(group.id))!.members.map((m: any) => m.id)).toContain(carol.id); // and the others see her
    const direct = await api("POST", "/api/conversations/direct/", { token: alice.access, body: { user_id: carol.id } });
    expect(direct.status).toBe(201);
    expect(await entry(direct.body.id, carol.access)).toBeDefined();
    expect((await api("DELETE", `/api/groups/${group.id}/members/${carol.id}/`, { token: alice.access })).status).toBeLessThan(300);
    expect(await entry(group.id, carol.access)).toBeUndefined();
    expect((await entry(group.id))!.members.map((m: any) => m.id)).not.toContain(carol.id);
  });

  test("shows a member's new name at once (a rename sends no event)", async () => {
    expect((await entry(group.id))!.members.find((m: any) => m.id === alice.id).first_name).not.toBe("Alicia");
    expect((await api("PATCH", `/api/${alice.id}/update/`, { token: alice.access, body: { first_name: "Alicia" } })).status).toBe(200);
    expect((await entry(group.id))!.members.find((m: any) => m.id === alice.id).first_name).toBe("Alicia");
  });

  test("is each caller's own: the cached list of one user is never another's", async () => {
    const mine = await list(bob.access);
    const hers = await list(carol.access);
    expect(mine.map((c) => c.id)).toContain(group.id);
    expect(hers.map((c) => c.id)).not.toContain(group.id);
    expect((await api("GET", "/api/conversations/")).status).toBe(401);
  });
});

describe("ConversationLists", () => {
  test("does not keep a list read while one of its conversations changed, nor one read across a user change", async () => {
    const lists = new ConversationLists();
    let builds = 0;
    const build = (during?: () => void) => async () => {
      builds++;
      await Promise.resolve();
      during?.();
      return { conversationIds: [1, 2], json: `[${builds}]` };
    };
    expect(
      await lists.load(
        7,
        build(() => lists.forgetConversation(2)),
      ),
    ).toBe("[1]");
    expect(lists.get(7)).toBeUndefined();
    expect(
      await lists.load(
        7,
        build(() => lists.forgetUser(7)),
      ),
    ).toBe("[2]");
    expect(lists.get(7)).toBeUndefined();
    expect(
      await lists.load(
        7,
        build(() => lists.forgetConversation(3)),
      ),
    ).toBe("[3]"); // not one of its conversations
    expect(lists.get(7)).toBe("[3]");
    expect(await lists.load(7, build())).toBe("[3]");
    expect(builds).toBe(3);
    lists.forgetConversation(1);
    expect(lists.get(7)).toBeUndefined();
  });

  test("lets a list go after its maximum age", async () => {
    const lists = new ConversationLists();
    await lists.load(1, async () => ({ conversationIds: [5], json: "[]" }));
    expect(lists.get(1)).toBe("[]");
    expect(lists.get(1, Date.now() + 60_000)).toBeUndefined();
  });
});

describe("ConversationLists capacity", () => {
  test("holds at most 10,000 lists: the next one starts afresh", async () => {
    const lists = new ConversationLists();
    for (let user = 1; user <= 10_000; user++) await lists.load(user, async () => ({ conversationIds: [user], json: "[]" }));
    expect(lists.get(1)).toBe("[]");
    expect(lists.get(10_000)).toBe("[]");
    await lists.load(10_001, async () => ({ conversationIds: [1], json: "[1]" }));
    expect(lists.get(1)).toBeUndefined();
    expect(lists.get(10_001)).toBe("[1]");
  });
});
