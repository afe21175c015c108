// Message sends over WebSocket share the user's send bucket with REST: a refused `message.send` answers an
// `error` frame (rate_limited, the op's ref, retry_after), stores nothing, and the socket stays open.
import { describe, expect, test } from "bun:test";
import { listen, registerUser } from "../helpers";
import { counts, createGroup, send } from "../chat-helpers";
import { connect } from "../ws-helpers";

describe("WebSocket message.send", async () => {
  const { server, api } = await listen({ limitSend: { capacity: 4, periodMs: 60_000 } }); // 4, then one every 15 s
  const parley = server.parley;
  const [alice, bob] = [await registerUser(api, "alice"), await registerUser(api, "bob")];
  const group = await createGroup(api, alice, [bob.id]);
  const open = (path: string, token: string) => connect(server.url, token, { path });

  test("REST and WebSocket sends draw on one bucket; the refused op gets its ref back with retry_after; the socket stays usable", async () => {
    const socket = await open("/ws", alice.access);
    expect((await send(api, alice, group.id, { message: "over REST" })).status).toBe(201);
    for (const ref of ["m1", "m2", "m3"]) {
      socket.send({ type: "message.send", ref, conversation_id: group.id, message: `over WS ${ref}` });
      expect((await socket.next("ack")).ref).toBe(ref);
    }
    const before = await counts(parley);
    socket.send({ type: "message.send", ref: "m4", conversation_id: group.id, message: "one too many" });
    const error = await socket.next("error");
    expect(error.ref).toBe("m4");
    expect(error.data).toMatchObject({ code: "rate_limited", ref: "m4", retry_after: 15 });
    expect(error.data.message).toMatch(/^Too many messages; slow down\. Try again in 15 seconds\.$/);
    expect(error.data.retry_after_ms).toBeGreaterThan(14_000);
    expect(error.data.retry_after_ms).toBeLessThanOrEqual(15_000);
    // Nothing stored, nothing announced; the socket still answers, and REST is refused for the same user too.
    expect(await counts(parley)).toEqual(before);
    socket.send({ type: "ping", ref: "still here" });
    expect((await socket.next("pong")).ref).toBe("still here");
    const rest = await send(api, alice, group.id, { message: "over REST again" });
    expect(rest.status).toBe(429);
    expect(rest.headers.get("retry-after")).toBe("15");
    expect(socket.frames.some((f) => f.type === "message.created" && f.data?.message === "one too many")).toBe(false);
    // Another user's sends go through and reach alice's open socket.
    const bobs = await open("/ws", bob.access);
    bobs.send({ type: "message.send", ref: "b1", conversation_id: group.id, message: "from bob" });
    expect((await bobs.next("ack")).ref).toBe("b1");
    expect((await socket.next((f) => f.type === "message.created" && f.data.message === "from bob")).data.sender).toBe(bob.id);
    await Promise.all([socket.close(), bobs.close()]);
  });

  test("the original's endpoint is limited by the same bucket: {error, code: rate_limited, retry_after}", async () => {
    const carol = await registerUser(api, "carol");
    const room = await createGroup(api, carol);
    for (let i = 0; i < 4; i++) expect((await send(api, carol, room.id, { message: `${i}` })).status).toBe(201);
    const legacy = await open(`/ws/chat/${room.id}/`, carol.access);
    const before = await counts(parley);
    legacy.send({ message: "one too many" });
    const answer = await legacy.next((f) => "error" in f);
    expect(answer).toMatchObject({ code: "rate_limited", retry_after: 15 });
    expect(await counts(parley)).toEqual(before);
    expect(legacy.ws.readyState).toBe(WebSocket.OPEN);
    await legacy.close();
  });
});
