// Presence, typing and read markers, and the original's per-conversation endpoint.
import { describe, expect, test } from "bun:test";
import { listen, registerUser } from "../helpers";
import { connect, createdWith, presenceFrame, upgradeStatus } from "../ws-helpers";

describe("presence, typing, read, and /ws/chat/{id}/", async () => {
  const { server, api } = await listen();
  const [alice, bob, carol, stranger] = await Promise.all(["alice", "bob", "carol", "stranger"].map((n) => registerUser(api, n)));
  const group = (await api("POST", "/api/groups/create/", { token: alice!.access, body: { name: "ptr", members: [bob!.id, carol!.id] } })).body;
  const open = (token: string, path = "/ws") => connect(server.url, token, { path });
  const presenceOf = async (token: string, ids: number[]) => (await api("GET", `/api/presence/?user_ids=${ids.join(",")}`, { token })).body;

  test("online with the first socket, offline when the last one closes; only users who share a conversation hear it", async () => {
    const watcher = await open(alice!.access);
    const outsider = await open(stranger!.access);
    const bob1 = await open(bob!.access);
    await watcher.next(presenceFrame(bob!.id, "online"));
    expect(await presenceOf(alice!.access, [bob!.id, carol!.id])).toEqual([
      { user_id: bob!.id, status: "online" },
      { user_id: carol!.id, status: "offline" },
    ]);
    const bob2 = await open(bob!.access);
    await bob1.close();
    expect(await presenceOf(alice!.access, [bob!.id])).toEqual([{ user_id: bob!.id, status: "online" }]);
    await bob2.close();
    await watcher.next(presenceFrame(bob!.id, "offline"));
    expect(watcher.frames.filter(presenceFrame(bob!.id, "offline"))).toHaveLength(1);
    expect(watcher.frames.filter((f) => f.type === "presence").every((f) => f.seq === undefined)).toBe(true);
    expect(outsider.frames.filter((f) => f.type === "presence" && f.data.user_id === bob!.id)).toEqual([]);
    await Promise.all([watcher.close(), outsider.close()]);
  });

  test("GET /api/presence/: users who share no conversation are left out; bad input 400; anonymous 401", async () => {
    expect(await presenceOf(stranger!.access, [alice!.id])).toEqual([]);
    expect((await api("GET", "/api/presence/?user_ids=abc", { token: alice!.access })).status).toBe(400);
    expect((await api("GET", "/api/presence/", { token: alice!.access })).status).toBe(400);
    expect((await api("GET", `/api/presence/?user_ids=${bob!.id}`)).status).toBe(401);
  });

  test("typing reaches the other members (not the sender's socket), is not logged, and is throttled", async () => {
    const a = await open(alice!.access);
    const b = await open(bob!.access);
    b.send({ type: "typing", conversation_id: group.id });
    const typing = await a.next("typing");
    expect(typing).toEqual({ type: "typing", conversation_id: group.id, data: { user_id: bob!.id, username: bob!.username } });
    b.send({ type: "typing", conversation_id: group.id }); // within 2 s: dropped
    b.send({ type: "ping", ref: "after typing" });
    await b.next("pong");
    await api("POST", `/api/messages/${group.id}/send/`, { token: bob!.access, body: { message: "typing marker" } });
    await a.seen((f) => f.type === "message.created" && f.data.message === "typing marker");
    expect(a.frames.filter((f) => f.type === "typing")).toHaveLength(1);
    expect(b.frames.filter((f) => f.type === "typing")).toEqual([]);
    b.send({ type: "typing", conversation_id: 999999, ref: "t" });
    expect((await b.next("error")).data).toMatchObject({ code: "forbidden", ref: "t" });
    await Promise.all([a.close(), b.close()]);
  });

  test("read is stored as the member's last-read id, sent to the others, and only moves forward", async () => {
    const a = await open(alice!.access);
    const b = await open(bob!.access);
    const first = (await api("POST", `/api/messages/${group.id}/send/`, { token: alice!.access, body: { message: "read me" } })).body;
    const second = (await api("POST", `/api/messages/${group.id}/send/`, { token: alice!.access, body: { message: "read me too" } })).body;
    b.send({ type: "read", conversation_id: group.id, message_id: second.id, ref: "r" });
    expect((await b.next("ack")).data).toMatchObject({ conversation_id: group.id, last_read_message_id: second.id, unread_count: 0 });
    const read = await a.next("read");
    expect(read.data).toEqual({ user_id: bob!.id, message_id: second.id });
    expect(read.seq).toBeGreaterThan(0);
    const row = await server.parley.ctx.db
      .selectFrom("conversation_members")
      .select("last_read_message_id")
      .where("conversation_id", "=", group.id)
      .where("user_id", "=", bob!.id)
      .executeTakeFirst();
    expect(row?.last_read_message_id).toBe(second.id);
    b.send({ type: "read", conversation_id: group.id, message_id: first.id, ref: "back" });
    expect((await b.next((f) => f.ref === "back")).data.last_read_message_id).toBe(second.id);
    b.send({ type: "read", conversation_id: group.id, message_id: 99999999, ref: "bad" });
    expect((await b.next((f) => f.ref === "bad")).type).toBe("error");
    await Promise.all([a.close(), b.close()]);
  });

  test("a member's own frames (unread, sent to their sockets) and the conversation's (published) arrive in seq order", async () => {
    const reader = await open(bob!.access);
    const watcher = await open(bob!.access);
    // Bob reads each message as it arrives while more are sent: unread events commit in the batches of the sends.
    reader.ws.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data));
      if (frame.type === "message.created") reader.send({ type: "read", conversation_id: group.id, message_id: frame.data.id });
    });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => api("POST", `/api/messages/${group.id}/send/`, { token: alice!.access, body: { message: `in order ${i}` } })),
    );
    await watcher.seen(createdWith("in order 39"), 10_000);
    await watcher.seen((f) => f.type === "unread" && f.data.unread_count === 0, 10_000);
    const seqs = watcher.frames.filter((f) => f.seq !== undefined).map((f) => f.seq!);
    expect(watcher.frames.filter((f) => f.type === "unread").length).toBeGreaterThan(1);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    await Promise.all([reader.close(), watcher.close()]);
  });

  test("the original's endpoint: members only; receives {message, sender} for any send; sending stores and delivers", async () => {
    expect(await upgradeStatus(server.url, `/ws/chat/${group.id}/`)).toBe(401);
    expect(await upgradeStatus(server.url, `/ws/chat/${group.id}/?token=${stranger!.access}`)).toBe(403);
    expect(await upgradeStatus(server.url, `/ws/chat/99999/?token=${alice!.access}`)).toBe(404);
    const legacy = await open(carol!.access, `/ws/chat/${group.id}/`);
    const modern = await open(bob!.access);
    await api("POST", `/api/messages/${group.id}/send/`, { token: alice!.access, body: { message: "from REST" } });
    expect(await legacy.next((f) => f.message === "from REST")).toEqual({ message: "from REST", sender: alice!.username });
    legacy.send({ message: "from the old client" });
    expect(await legacy.next((f) => f.message === "from the old client")).toEqual({ message: "from the old client", sender: carol!.username });
    const delivered = await modern.seen((f) => f.type === "message.created" && f.data.message === "from the old client");
    expect(delivered.data.sender).toBe(carol!.id);
    const stored = await server.parley.ctx.db.selectFrom("messages").select(["body", "sender_id"]).where("id", "=", delivered.data.id).executeTakeFirst();
    expect(stored).toEqual({ body: "from the old client", sender_id: carol!.id });
    legacy.send({ nope: true });
    expect((await legacy.next((f) => typeof f.error === "string")).error).toContain("message");
    // Leaving the group closes the original's socket for it.
    await api("POST", `/api/groups/${group.id}/leave/`, { token: carol!.access });
    expect((await legacy.closed).code).toBe(1008);
    await modern.close();
  });
});
