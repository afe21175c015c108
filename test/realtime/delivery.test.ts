// The gateway delivers every message once, in order, to every connected member, whatever sent it.
import { describe, expect, test } from "bun:test";
import { listen, registerUser } from "../helpers";
import { connect as connectTo, createdWith, nextFrames, type TestSocket } from "../ws-helpers";

const countCreated = (socket: TestSocket, text: string) => socket.frames.filter(createdWith(text)).length;

describe("delivery", async () => {
  const { server, api } = await listen();
  const [alice, bob, carol, dave] = await Promise.all(["alice", "bob", "carol", "dave"].map((n) => registerUser(api, n)));
  const group = (await api("POST", "/api/groups/create/", { token: alice!.access, body: { name: "delivery", members: [bob!.id, carol!.id] } })).body;
  const connect = (token: string) => connectTo(server.url, token);

  test("hello lists the user's conversations and the current seq", async () => {
    const socket = await connect(alice!.access);
    const hello = socket.frames[0]!;
    expect(hello.data.user).toEqual({ id: alice!.id, username: alice!.username, is_bot: false });
    expect(hello.data.conversations).toEqual([group.id]);
    expect(hello.data.seq).toBeGreaterThan(0);
    await socket.close();
  });

  test("three members (one with two sockets) get a REST-sent and a WS-sent message exactly once; a stranger nothing", async () => {
    const sockets = {
      alice: await connect(alice!.access),
      bob: await connect(bob!.access),
      carol1: await connect(carol!.access),
      carol2: await connect(carol!.access),
    };
    const stranger = await connect(dave!.access);
    const rest = await api("POST", `/api/messages/${group.id}/send/`, { token: alice!.access, body: { message: "over REST" } });
    expect(rest.status).toBe(201);
    sockets.bob.send({ type: "message.send", conversation_id: group.id, message: "over WS", ref: "w1" });
    const ack = await sockets.bob.next("ack");
    expect(ack.ref).toBe("w1");
    for (const socket of Object.values(sockets)) {
      const first = await socket.seen(createdWith("over REST"));
      const second = await socket.seen(createdWith("over WS"));
      expect(first.data).toEqual(rest.body); // the same JSON as the REST answer
      expect(second.data).toEqual(ack.data);
      expect(second.seq!).toBeGreaterThan(first.seq!);
    }
    // A marker sent to the stranger's own conversation proves its socket was live all along.
    await api("POST", `/api/messages/0/send/`, { token: dave!.access, body: { receiver_user: dave!.id, message: "marker" } });
    await stranger.seen(createdWith("marker"));
    for (const socket of Object.values(sockets)) {
      expect(countCreated(socket, "over REST")).toBe(1);
      expect(countCreated(socket, "over WS")).toBe(1);
    }
    expect(stranger.frames.filter((f) => f.conversation_id === group.id)).toEqual([]);
    await Promise.all([...Object.values(sockets), stranger].map((s) => s.close()));
  });

  test("concurrent sends from two users arrive once each, in seq and id order, on every socket", async () => {
    const watchers = [await connect(alice!.access), await connect(bob!.access), await connect(carol!.access)];
    const texts = Array.from({ length: 50 }, (_, i) => `burst ${i}`);
    await Promise.all(
      texts.map((message, i) =>
        i % 2
          ? api("POST", `/api/messages/${group.id}/send/`, { token: alice!.access, body: { message } })
          : Promise.resolve(watchers[1]!.send({ type: "message.send", conversation_id: group.id, message })),
      ),
    );
    for (const socket of watchers) {
      for (const text of texts) await socket.seen(createdWith(text), 5000);
      const burst = socket.frames.filter((f) => f.type === "message.created" && String(f.data.message).startsWith("burst "));
      expect(burst.map((f) => f.data.message).sort()).toEqual([...texts].sort());
      const seqs = burst.map((f) => f.seq!);
      const ids = burst.map((f) => f.data.id as number);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    await Promise.all(watchers.map((s) => s.close()));
  });

  test("message.send: ack after the commit; the same client_id again returns the first message and stores nothing", async () => {
    const socket = await connect(bob!.access);
    socket.send({ type: "message.send", conversation_id: group.id, message: "once", client_id: "cid-1", ref: 1 });
    const first = await socket.next((f) => f.type === "ack" && f.ref === 1);
    const row = await server.parley.ctx.db.selectFrom("messages").selectAll().where("id", "=", first.data.id).executeTakeFirst();
    expect(row?.body).toBe("once");
    socket.send({ type: "message.send", conversation_id: group.id, message: "once", client_id: "cid-1", ref: 2 });
    const second = await socket.next((f) => f.type === "ack" && f.ref === 2);
    expect(second.data).toEqual(first.data);
    const rows = await server.parley.ctx.db.selectFrom("messages").select("id").where("client_id", "=", "cid-1").execute();
    expect(rows).toHaveLength(1);
    // The retry published nothing new: a later message is the next message.created after the first one.
    socket.send({ type: "message.send", conversation_id: group.id, message: "after retry", ref: 3 });
    await socket.next((f) => f.type === "ack" && f.ref === 3);
    expect(countCreated(socket, "once")).toBe(1);
    await socket.close();
  });

  test("a burst of sends from two sockets: each socket gets one ack per send, in the order sent, each after its commit", async () => {
    const sockets = [await connect(bob!.access), await connect(carol!.access)];
    // Sent back to back: the sends share group commits, and their acks go out together (hub.answerSoon).
    for (let i = 0; i < 8; i++)
      for (const [n, socket] of sockets.entries()) socket.send({ type: "message.send", conversation_id: group.id, message: `burst ${n}.${i}`, ref: i });
    for (const [n, socket] of sockets.entries()) {
      const acks = await nextFrames(socket, "ack", 8);
      expect(acks.map((ack) => ack.ref)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(acks.map((ack) => ack.data.message)).toEqual(acks.map((_, i) => `burst ${n}.${i}`));
      const ids = acks.map((ack) => ack.data.id as number);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      const rows = await server.parley.ctx.db.selectFrom("messages").select(["id", "body"]).where("id", "in", ids).orderBy("id").execute();
      expect(rows.map((row) => row.body)).toEqual(acks.map((ack) => ack.data.message));
      expect(socket.frames.filter((f) => f.type === "ack")).toHaveLength(8);
    }
    await Promise.all(sockets.map((s) => s.close()));
  });

  test("membership changes move live sockets: a new group's members hear it at once, a leaver hears nothing more", async () => {
    const bobSocket = await connect(bob!.access);
    const daveSocket = await connect(dave!.access);
    const fresh = (await api("POST", "/api/groups/create/", { token: alice!.access, body: { name: "fresh", members: [bob!.id] } })).body;
    const joined = await bobSocket.next((f) => f.type === "member.joined" && f.conversation_id === fresh.id && f.data.user_id === bob!.id);
    expect(joined.seq).toBeGreaterThan(0);
    await api("POST", `/api/messages/${fresh.id}/send/`, { token: alice!.access, body: { message: "welcome" } });
    await bobSocket.next(createdWith("welcome"));

    expect((await api("POST", `/api/groups/${fresh.id}/join/`, { token: dave!.access })).status).toBe(200);
    await daveSocket.next((f) => f.type === "member.joined" && f.conversation_id === fresh.id);
    await api("POST", `/api/messages/${fresh.id}/send/`, { token: alice!.access, body: { message: "hello dave" } });
    await daveSocket.next(createdWith("hello dave"));

    expect((await api("POST", `/api/groups/${fresh.id}/leave/`, { token: dave!.access })).status).toBe(200);
    await daveSocket.next((f) => f.type === "member.left" && f.conversation_id === fresh.id && f.data.user_id === dave!.id);
    await bobSocket.next((f) => f.type === "member.left" && f.data.user_id === dave!.id);
    await api("POST", `/api/messages/${fresh.id}/send/`, { token: alice!.access, body: { message: "after dave left" } });
    await bobSocket.next(createdWith("after dave left"));
    await api("POST", `/api/messages/0/send/`, { token: dave!.access, body: { receiver_user: dave!.id, message: "dave marker" } });
    await daveSocket.next(createdWith("dave marker"));
    expect(countCreated(daveSocket, "after dave left")).toBe(0);

    // A direct conversation made by the other side subscribes this socket too.
    await api("POST", "/api/messages/0/send/", { token: carol!.access, body: { receiver_user: dave!.id, message: "direct to dave" } });
    await daveSocket.next(createdWith("direct to dave"));
    await Promise.all([bobSocket.close(), daveSocket.close()]);
  });
});
