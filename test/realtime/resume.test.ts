// The durable event log: every logged event has a seq, and a client that was away resumes without gap or duplicate.
import { describe, expect, test } from "bun:test";
import { listen, registerUser } from "../helpers";
import { createdWith, openSocket, wsUrl } from "../ws-helpers";

describe("resume from the event log", async () => {
  const { server, api } = await listen();
  const alice = await registerUser(api, "alice");
  const bob = await registerUser(api, "bob");
  const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "resume", members: [bob.id] } })).body;
  const send = (message: string) => api("POST", `/api/messages/${group.id}/send/`, { token: alice.access, body: { message } });
  const db = server.parley.ctx.db;

  test("?since= replays exactly what was missed, in order, then continues live", async () => {
    const first = await openSocket(wsUrl(server.url, "/ws", bob.access));
    await first.next("hello");
    await send("before leaving");
    const lastSeen = (await first.next(createdWith("before leaving"))).seq!;
    await first.close();

    for (let i = 1; i <= 5; i++) await send(`while away ${i}`);
    const resumed = await openSocket(wsUrl(server.url, "/ws", bob.access, { since: String(lastSeen) }));
    const hello = await resumed.next("hello");
    const replayed = [];
    for (let i = 1; i <= 5; i++) replayed.push(await resumed.next(createdWith(`while away ${i}`)));
    expect(replayed.map((f) => f.seq)).toEqual(replayed.map((_, i) => lastSeen + 1 + i));
    expect(hello.data.seq).toBe(replayed.at(-1)!.seq);
    await send("live again");
    const live = await resumed.next(createdWith("live again"));
    expect(live.seq).toBe(hello.data.seq + 1);
    expect(resumed.frames.filter((f) => f.type === "message.created" && f.data.message === "before leaving")).toEqual([]);
    await resumed.close();
  });

  test("sends committed while the client reconnects: the union is contiguous, with no duplicate", async () => {
    const watcher = await openSocket(wsUrl(server.url, "/ws", bob.access));
    const since = (await watcher.next("hello")).data.seq as number;
    await watcher.close();
    const sending = Promise.all(Array.from({ length: 40 }, (_, i) => send(`racing ${i}`)));
    const resumed = await openSocket(wsUrl(server.url, "/ws", bob.access, { since: String(since) }));
    await sending;
    for (let i = 0; i < 40; i++) await resumed.seen(createdWith(`racing ${i}`));
    const seqs = resumed.frames.filter((f) => f.seq !== undefined).map((f) => f.seq!);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => since + 1 + i));
    await resumed.close();
  });

  test("a sync operation on an open socket replays too", async () => {
    for (let i = 1; i <= 3; i++) await send(`to sync ${i}`); // three events to replay, whatever ran before
    const socket = await openSocket(wsUrl(server.url, "/ws", bob.access));
    const now = (await socket.next("hello")).data.seq as number;
    socket.send({ type: "sync", since: now - 3 });
    const frames = [await socket.next((f) => f.seq === now - 2), await socket.next((f) => f.seq === now - 1), await socket.next((f) => f.seq === now)];
    expect(frames.map((f) => f.seq)).toEqual([now - 2, now - 1, now]);
    await socket.close();
  });

  test("resync when the log no longer reaches back that far, or the seq is from the future", async () => {
    await send("one more");
    const [{ seq: newest }] = (await db
      .selectFrom("events")
      .select((eb) => eb.fn.max<number>("seq").as("seq"))
      .execute()) as [{ seq: number }];
    await db.deleteFrom("events").where("seq", "<=", 3).execute(); // retention trimmed the oldest
    const old = await openSocket(wsUrl(server.url, "/ws", bob.access, { since: "1" }));
    const resync = await old.next("resync");
    expect(resync.data.seq).toBe(newest);
    expect(old.frames.filter((f) => f.type === "message.created")).toEqual([]);
    const future = await openSocket(wsUrl(server.url, "/ws", bob.access, { since: String(newest + 1000) }));
    await future.next("resync");
    // Since a seq the log still holds: a normal replay.
    const fine = await openSocket(wsUrl(server.url, "/ws", bob.access, { since: String(newest - 1) }));
    expect((await fine.next((f) => f.seq !== undefined)).seq).toBe(newest);
    await Promise.all([old.close(), future.close(), fine.close()]);
  });

  test("a member who left replays their own member.left but nothing of the group after it", async () => {
    const carol = await registerUser(api, "carol");
    await api("POST", `/api/groups/${group.id}/join/`, { token: carol.access });
    const socket = await openSocket(wsUrl(server.url, "/ws", carol.access));
    const since = (await socket.next("hello")).data.seq as number;
    await socket.close();
    await send("carol still here");
    await api("POST", `/api/groups/${group.id}/leave/`, { token: carol.access });
    await send("carol gone");
    const resumed = await openSocket(wsUrl(server.url, "/ws", carol.access, { since: String(since) }));
    await resumed.next((f) => f.type === "member.left" && f.data.user_id === carol.id);
    await api("POST", "/api/messages/0/send/", { token: carol.access, body: { receiver_user: carol.id, message: "carol marker" } });
    await resumed.seen(createdWith("carol marker"));
    expect(resumed.frames.filter(createdWith("carol gone"))).toEqual([]);
    expect(resumed.frames.filter(createdWith("carol still here"))).toEqual([]); // no longer a member: that history is not hers to replay
    await resumed.close();
  });
});
