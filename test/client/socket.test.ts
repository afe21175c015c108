// The typed client's socket against a real server: typed events, sends stored exactly once whatever happens to the
// connection (dropped between the commit and the ack, a server restart), resume with no gap and no duplicate, and
// `resync` surfaced when the log no longer reaches back.
import { afterAll, describe, expect, test } from "bun:test";
import type { Message } from "../../src/client";
import { startServer, type RunningServer } from "../../src/server";
import { directWith } from "../chat-helpers";
import { httpClient, listen, queryRows, registerUser, tempDir, testConfig } from "../helpers";
import { loggedIn, nextEvent, reaches } from "./client-helpers";

const FAST = { maxBackoffMs: 300 };

describe("parley/client socket", async () => {
  const { server, api } = await listen();
  const [alice, bob] = [await registerUser(api, "alice"), await registerUser(api, "bob")];
  const conversation = await directWith(api, alice, bob);
  const storedWith = (clientId: string) => queryRows(server.parley, "SELECT id FROM messages WHERE client_id = ?", [clientId]);

  test("typed events: hello, message.created, typing, read; send() resolves with the stored message and its client_id", async () => {
    const [a, b] = [await loggedIn(server.url, alice), await loggedIn(server.url, bob)];
    const [aliceSocket, bobSocket] = [a.socket(), b.socket()];
    const hellos = [nextEvent(aliceSocket, "hello"), nextEvent(bobSocket, "hello")];
    aliceSocket.start();
    bobSocket.start();
    expect((await hellos[0]!).user.id).toBe(alice.id);
    expect((await hellos[1]!).conversations).toContain(conversation);
    const arrives = nextEvent(bobSocket, "message.created", (m) => m.message === "typed hello");
    const sent = await aliceSocket.send(conversation, "typed hello");
    expect(sent.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await storedWith(sent.client_id!)).toEqual([{ id: sent.id }]);
    expect((await arrives).id).toBe(sent.id);
    const typing = nextEvent(bobSocket, "typing");
    aliceSocket.typing(conversation);
    expect(await typing).toEqual({ user_id: alice.id, username: alice.username });
    const read = nextEvent(aliceSocket, "read", (r) => r.user_id === bob.id);
    bobSocket.read(conversation, sent.id);
    expect(await read).toEqual({ user_id: bob.id, message_id: sent.id });
    const refused = await aliceSocket.send(999_999, "nowhere").catch((error) => error);
    expect(refused).toMatchObject({ name: "ParleyError", status: 404, code: "not_found" });
    aliceSocket.stop();
    bobSocket.stop();
  });

  test("a connection dropped after the message is stored and before the ack: one stored message, a resolved promise", async () => {
    const a = await loggedIn(server.url, alice);
    const socket = a.socket(FAST);
    const states: string[] = [];
    socket.on("state", (state) => states.push(state));
    socket.start();
    await reaches(socket, "open");
    const clientId = crypto.randomUUID();
    let cut = false;
    // The server's own hub: the moment the message is committed and published, close alice's sockets (no ack).
    server.parley.ctx.hub.onDeliver((event) => {
      if (cut || event.type !== "message.created" || (event.data as Message).client_id !== clientId) return;
      cut = true;
      server.parley.ctx.hub.disconnectUser(alice.id, 1012, "Service restart");
    });
    const { sent, statesThen } = await socket
      .send(conversation, "dropped mid-send", { client_id: clientId })
      .then((sent) => ({ sent, statesThen: [...states] }));
    expect(cut).toBe(true);
    expect(statesThen).toEqual(["connecting", "open", "reconnecting", "open"]); // resolved only over the new connection
    expect(await storedWith(clientId)).toEqual([{ id: sent.id }]);
    expect(sent).toMatchObject({ message: "dropped mid-send", client_id: clientId, conversation_id: conversation });
    socket.stop();
  });

  test("a resync is surfaced when the log no longer reaches back to the last seq seen", async () => {
    const a = await loggedIn(server.url, alice);
    const first = a.socket();
    first.start();
    await reaches(first, "open");
    const seen = nextEvent(first, "message.created", (m) => m.message === "before the gap");
    await httpClient(server.url)("POST", `/api/messages/${conversation}/send/`, { token: bob.access, body: { message: "before the gap" } });
    await seen;
    const lastSeq = first.lastSeq!;
    first.stop();
    for (const text of ["missed 1", "missed 2"]) await api("POST", `/api/messages/${conversation}/send/`, { token: bob.access, body: { message: text } });
    await queryRows(server.parley, "DELETE FROM events WHERE seq <= ?", [lastSeq + 1]); // retention trimmed the log
    const resumed = a.socket({ since: lastSeq });
    const created: string[] = [];
    resumed.on("message.created", (m) => created.push(m.message));
    const resync = nextEvent(resumed, "resync");
    resumed.start();
    const { reason, seq } = await resync;
    expect(reason).toContain("no longer reaches back");
    expect(seq).toBeGreaterThan(lastSeq + 1);
    expect(resumed.lastSeq).toBe(seq);
    expect(created).toEqual([]);
    resumed.stop();
  });
});

describe("parley/client socket across a server restart", async () => {
  const dataDir = tempDir();
  let server: RunningServer = await startServer(testConfig({ dataDir }));
  afterAll(() => server.stop());
  const api = httpClient(server.url);
  const [alice, bob] = [await registerUser(api, "alice"), await registerUser(api, "bob")];
  const conversation = await directWith(api, alice, bob);

  test("the conversation goes on with no gap and no duplicate; a send made while the server was down is stored once", async () => {
    const a = await loggedIn(server.url, alice);
    const socket = a.socket(FAST);
    const received: number[] = [];
    socket.on("message.created", (m) => received.push(m.id));
    socket.start();
    await reaches(socket, "open");
    const bobSays = async (text: string) =>
      (await api("POST", `/api/messages/${conversation}/send/`, { token: bob.access, body: { message: text } })).body as Message;
    await bobSays("before the restart");
    await socket.send(conversation, "alice before the restart");
    await server.stop();
    await reaches(socket, "reconnecting");
    const whileDown = socket.send(conversation, "sent while the server was down");
    server = await startServer(testConfig({ dataDir, port: server.port }));
    const missed = await bobSays("after the restart, before alice is back");
    const stored = await whileDown;
    const live = nextEvent(socket, "message.created", (m) => m.message === "after alice is back");
    await bobSays("after alice is back");
    await live;
    expect(await storedWith(server, stored.client_id!)).toEqual([{ id: stored.id }]);
    const all = (await queryRows(server.parley, "SELECT id FROM messages WHERE conversation_id = ? ORDER BY id", [conversation])).map((row) => row.id);
    expect(all).toHaveLength(5);
    expect(received).toContain(missed.id);
    expect(received).toEqual(all); // every message once, in order
    socket.stop();
  });
});

const storedWith = (server: RunningServer, clientId: string) => queryRows(server.parley, "SELECT id FROM messages WHERE client_id = ?", [clientId]);
