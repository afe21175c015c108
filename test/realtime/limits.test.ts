// Bad input, floods, slow consumers, refused upgrades, and sessions that end.
import { describe, expect, test } from "bun:test";
import { connect as tcpConnect } from "node:net";
import { listen, registerUser } from "../helpers";
import { connect, openSocket, rawUpgradeRequest, upgradeStatus, wsUrl, type Frame } from "../ws-helpers";

describe("gateway limits", async () => {
  const { server, api } = await listen();
  const [alice, bob, stranger] = await Promise.all(["alice", "bob", "stranger"].map((n) => registerUser(api, n)));
  const group = (await api("POST", "/api/groups/create/", { token: alice!.access, body: { name: "limits", members: [bob!.id] } })).body;
  const strangersGroup = (await api("POST", "/api/groups/create/", { token: stranger!.access, body: { name: "elsewhere" } })).body;
  const db = server.parley.ctx.db;
  const messageCount = async () =>
    Number(
      (
        await db
          .selectFrom("messages")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const open = (token: string) => connect(server.url, token);

  test("refused upgrades answer 401 and open no socket: no token, garbage, a refresh token, a revoked token", async () => {
    expect(await upgradeStatus(server.url, "/ws")).toBe(401);
    expect(await upgradeStatus(server.url, "/ws?token=garbage")).toBe(401);
    expect(await upgradeStatus(server.url, `/ws?token=${alice!.refresh}`)).toBe(401);
    expect(await upgradeStatus(server.url, "/ws", { authorization: "Bearer garbage" })).toBe(401);
    expect(await upgradeStatus(server.url, "/ws", { authorization: `Bearer ${alice!.access}` })).toBe(101);
    await expect(openSocket(wsUrl(server.url, "/ws", "garbage"))).rejects.toThrow();
    const leaving = await registerUser(api, "leaving");
    await api("POST", "/api/logout/", { token: leaving.access, body: { refresh: leaving.refresh } });
    expect(await upgradeStatus(server.url, `/ws?token=${leaving.access}`)).toBe(401);
    expect(await upgradeStatus(server.url, `/ws?token=${alice!.access}&since=abc`)).toBe(400);
  });

  test("bad input answers an error frame (with ref), stores nothing and keeps the socket open", async () => {
    const socket = await open(alice!.access);
    const before = await messageCount();
    const cases: Array<[unknown, string]> = [
      ["{not json", "invalid_json"],
      [[1, 2], "invalid_json"],
      [{ type: "no.such.thing", ref: "u" }, "unknown_operation"],
      [{ type: "message.send", ref: "m1", message: "no conversation" }, "invalid"],
      [{ type: "message.send", ref: "m2", conversation_id: group.id }, "invalid"],
      [{ type: "message.send", ref: "m3", conversation_id: group.id, message: "" }, "invalid"],
      [{ type: "message.send", ref: "m4", conversation_id: strangersGroup.id, message: "not mine" }, "forbidden"],
      [{ type: "message.send", ref: "m5", conversation_id: 987654, message: "nowhere" }, "not_found"],
      [{ type: "read", ref: "r1", conversation_id: group.id }, "invalid"],
      [{ type: "sync", ref: "s1", since: -4 }, "invalid"],
    ];
    for (const [frame, code] of cases) {
      socket.send(frame);
      const error = await socket.next("error");
      expect(error.data.code).toBe(code);
      if (typeof frame === "object" && frame && "ref" in frame) expect(error.data.ref).toBe((frame as { ref: string }).ref);
    }
    socket.send({ type: "ping", ref: "still open" });
    expect((await socket.next("pong")).ref).toBe("still open");
    expect(await messageCount()).toBe(before);
    await socket.close();
  });

  test("an operation's bad fields answer its REST twin's field errors, word for word", async () => {
    const socket = await open(alice!.access);
    const before = await messageCount();
    const cases: Array<[Record<string, unknown>, string, Record<string, unknown>]> = [
      [{ type: "read", conversation_id: group.id, message_id: "abc" }, `/api/conversations/${group.id}/read/`, { message_id: "abc" }],
      [{ type: "read", conversation_id: group.id }, `/api/conversations/${group.id}/read/`, {}],
      [{ type: "message.send", conversation_id: group.id, message: "hi", client_id: "" }, `/api/messages/${group.id}/send/`, { message: "hi", client_id: "" }],
      [{ type: "message.send", conversation_id: group.id, message: "x".repeat(20_001) }, `/api/messages/${group.id}/send/`, { message: "x".repeat(20_001) }],
    ];
    for (const [i, [frame, path, body]] of cases.entries()) {
      const rest = await api("POST", path, { token: alice!.access, body });
      expect(rest.status).toBe(400);
      socket.send({ ...frame, ref: `twin${i}` });
      const error = await socket.next("error");
      expect(error.data).toEqual({
        code: "invalid",
        ref: `twin${i}`,
        message: Object.entries(rest.body as Record<string, string[]>)
          .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
          .join("; "),
      });
    }
    expect(await messageCount()).toBe(before);
    await socket.close();
  });

  test("a frame over 64 KiB closes the socket with 1009", async () => {
    const socket = await open(alice!.access);
    socket.send(JSON.stringify({ type: "message.send", conversation_id: group.id, message: "x".repeat(70_000) }));
    expect((await socket.closed).code).toBe(1009);
  });

  test("flooding past the per-socket rate answers rate_limited, then closes with 1008", async () => {
    const socket = await open(bob!.access);
    for (let i = 0; i < 300; i++) socket.send({ type: "ping" });
    const error = await socket.next((f: Frame) => f.type === "error");
    expect(error.data.code).toBe("rate_limited");
    expect((await socket.closed).code).toBe(1008);
  });

  test("logout, a password change and account deletion close the user's sockets with 1008", async () => {
    const user = await registerUser(api, "closing");
    const one = await open(user.access);
    const two = await open(user.access);
    await api("POST", "/api/logout/", { token: user.access, body: { refresh: user.refresh } });
    expect((await one.closed).code).toBe(1008);
    expect((await two.closed).code).toBe(1008);

    const login = (await api("POST", "/api/login/", { body: { email: user.email, password: user.password } })).body;
    const three = await open(login.access);
    await api("PATCH", `/api/${user.id}/update/`, { token: login.access, body: { password: "a brand new password", current_password: user.password } });
    expect((await three.closed).code).toBe(1008);

    const again = (await api("POST", "/api/login/", { body: { email: user.email, password: "a brand new password" } })).body;
    const four = await open(again.access);
    await api("DELETE", `/api/${user.id}/delete/`, { token: again.access });
    expect((await four.closed).code).toBe(1008);
    expect(await upgradeStatus(server.url, `/ws?token=${again.access}`)).toBe(401);
  });
});

describe("slow consumers", async () => {
  // Flood control off: the sender here is deliberately fast.
  const { server, api } = await listen({ rateLimits: false });
  const [alice, bob] = await Promise.all(["alice", "bob"].map((n) => registerUser(api, n)));
  const group = (await api("POST", "/api/groups/create/", { token: alice!.access, body: { name: "slow", members: [bob!.id] } })).body;

  test("a socket that stops reading is closed by the server once its unsent output passes the limit", async () => {
    // A raw client that upgrades and then never reads again, while another member sends large messages.
    const slow = tcpConnect({ host: "127.0.0.1", port: Number(new URL(server.url).port) });
    let handshake = "";
    await new Promise<void>((resolve) => {
      slow.on("data", (chunk) => {
        handshake += chunk.toString("latin1");
        if (handshake.includes("\r\n\r\n")) {
          slow.pause();
          resolve();
        }
      });
      slow.write(rawUpgradeRequest(`/ws?token=${bob!.access}`));
    });
    expect(handshake).toStartWith("HTTP/1.1 101");
    const sender = await openSocket(wsUrl(server.url, "/ws", alice!.access));
    await sender.next("hello");
    const text = "y".repeat(9_000);
    const deadline = Date.now() + 20_000;
    let sent = 0;
    while (server.parley.ctx.hub.isOnline(bob!.id) && Date.now() < deadline) {
      for (let i = 0; i < 20; i++) sender.send({ type: "message.send", conversation_id: group.id, message: text, ref: sent++ });
      await sender.next((f) => f.type === "ack" && f.ref === sent - 1, 10_000);
    }
    // The server closed the slow socket (with 1013, which that client never reads) and bob went offline.
    expect(server.parley.ctx.hub.isOnline(bob!.id)).toBe(false);
    expect(server.parley.ctx.hub.connectionCount).toBe(1);
    await sender.seen((f) => f.type === "presence" && f.data.user_id === bob!.id && f.data.status === "offline");
    slow.destroy();
    await sender.close();
  }, 30_000);
});

describe("idle sockets", async () => {
  const { server, api } = await listen({ wsIdleTimeoutMs: 2_000 });
  const [alice, bob] = await Promise.all(["alice", "bob"].map((n) => registerUser(api, n)));
  await api("POST", "/api/groups/create/", { token: alice!.access, body: { name: "idle", members: [bob!.id] } });

  test("a client that stops answering pings is closed, and goes offline; one that answers stays", async () => {
    const silent = tcpConnect({ host: "127.0.0.1", port: Number(new URL(server.url).port) });
    await new Promise<void>((resolve) => {
      let handshake = "";
      silent.on("data", (chunk) => {
        handshake += chunk.toString("latin1");
        if (handshake.includes("\r\n\r\n")) resolve(); // from here on it reads but never answers a ping
      });
      silent.write(rawUpgradeRequest(`/ws?token=${bob!.access}`));
    });
    const closed = new Promise<void>((resolve) => silent.on("close", () => resolve()));
    const answering = await openSocket(wsUrl(server.url, "/ws", alice!.access)); // a real client answers pings itself
    await answering.next("hello");
    await answering.seen((f) => f.type === "presence" && f.data.user_id === bob!.id && f.data.status === "offline", 10_000);
    await closed;
    expect(server.parley.ctx.hub.isOnline(bob!.id)).toBe(false);
    expect(server.parley.ctx.hub.isOnline(alice!.id)).toBe(true);
    await answering.close();
  }, 15_000);
});
