// Connecting while events are being published: what a socket reads from the log and what is published during that
// read must join without a gap or a duplicate. (Reads are asynchronous on both databases; on PostgreSQL each is a
// round trip, so there is always something published meanwhile under load.)
import { describe, expect, test } from "bun:test";
import type { LoggedEvent } from "../../src/core/events";
import { Hub } from "../../src/modules/realtime/hub";
import { createLogger } from "../../src/lib/log";
import { listen, registerUser } from "../helpers";
import { createGroup } from "../chat-helpers";
import { openSocket, wsUrl, type TestSocket } from "../ws-helpers";

const event = (seq: number): LoggedEvent => ({
  seq,
  type: "message.created",
  conversation_id: 1,
  user_id: null,
  private: false,
  frame: `{"seq":${seq}}`,
  data: {},
});

describe("hub.publishedAfter", () => {
  test("answers from memory what was published after a seq, or null when it cannot be sure", () => {
    const hub = new Hub(createLogger("silent"));
    hub.lastPublished = 10; // as at start-up: nothing in memory yet
    expect(hub.publishedAfter(10)).toEqual([]);
    expect(hub.publishedAfter(5)).toBeNull();
    for (const seq of [11, 12, 13]) hub.publish(event(seq));
    expect(hub.publishedAfter(11)!.map((e) => e.seq)).toEqual([12, 13]);
    expect(hub.publishedAfter(10)!.map((e) => e.seq)).toEqual([11, 12, 13]);
    expect(hub.publishedAfter(9)).toBeNull(); // before what it holds
    hub.lastPublished = 20; // moved without publishing (an import)
    expect(hub.publishedAfter(12)).toBeNull();
    hub.publish(event(21));
    expect(hub.publishedAfter(20)!.map((e) => e.seq)).toEqual([21]);
    expect(hub.publishedAfter(13)).toBeNull(); // 14–20 never went through it
  });
});

describe("connecting under a stream of messages", async () => {
  const { server, api } = await listen();
  const alice = await registerUser(api, "streamer");
  const bob = await registerUser(api, "listener");
  const group = await createGroup(api, alice, [bob.id]);
  const send = (text: string) => api("POST", `/api/messages/${group.id}/send/`, { token: alice.access, body: { message: text } });

  test("sockets opened (fresh and resuming) while 300 messages are sent each get every later message once, in order", async () => {
    await send("before");
    const sockets: Array<{ socket: TestSocket; since: number | null }> = [];
    let sending = true;
    const stream = (async () => {
      for (let i = 0; i < 30; i++) await Promise.all(Array.from({ length: 10 }, (_, k) => send(`m${i * 10 + k}`)));
      sending = false;
    })();
    for (let i = 0; sending && i < 40; i++) {
      const since = i % 2 === 0 ? null : Math.max(0, server.parley.ctx.hub.lastPublished - 5);
      sockets.push({ socket: await openSocket(wsUrl(server.url, "/ws", bob.access, since === null ? {} : { since: String(since) })), since });
      await Bun.sleep(5);
    }
    await stream;
    const last = (await send("after")).body.id as number;
    for (const { socket, since } of sockets) {
      await socket.next((f) => f.type === "message.created" && f.data.id === last, 5000);
      const hello = socket.frames.find((f) => f.type === "hello")!;
      expect(socket.frames[0]!.type).toBe("hello");
      const seqs = socket.frames.filter((f) => f.type === "message.created").map((f) => f.seq!);
      // Strictly increasing (no duplicate, no reordering), starting right after what the client asked for.
      expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      const start = since ?? hello.data.seq;
      expect(seqs[0]).toBeGreaterThan(start);
      // No gap: every message.created in the log after `start` is there.
      const logged = (
        await server.parley.database.db
          .selectFrom("events")
          .select("seq")
          .where("type", "=", "message.created")
          .where("seq", ">", start)
          .orderBy("seq")
          .execute()
      ).map((r) => r.seq);
      expect(seqs).toEqual(logged);
      await socket.close();
    }
    expect(sockets.length).toBeGreaterThan(3);
  }, 30_000);

  test("a seq this node has not published yet (another node's, still on its way) is resumed from the log, not refused", async () => {
    for (const text of ["x1", "x2", "x3"]) await send(text);
    const hub = server.parley.ctx.hub;
    const newest = hub.lastPublished;
    hub.lastPublished = newest - 3; // as if the last three events had not reached this node yet
    const socket = await openSocket(wsUrl(server.url, "/ws", bob.access, { since: String(newest - 1) }));
    const hello = await socket.next("hello");
    expect(hello.data.seq).toBe(newest);
    const replayed = await socket.next((f) => typeof f.seq === "number");
    expect(replayed.seq).toBe(newest);
    expect(socket.frames.some((f) => f.type === "resync")).toBe(false);
    await socket.close();
  });
});
