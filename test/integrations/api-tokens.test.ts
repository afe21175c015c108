// Bot accounts and API tokens: made by staff (bots) and by users themselves (tokens), shown once, stored as a hash,
// working on REST and /ws within their scopes, and ending at once when revoked or their user is deactivated or deleted.
import { afterAll, describe, expect, test } from "bun:test";
import { createGroup, makeStaff, sendText } from "../chat-helpers";
import { listen, queryRows, registerUser, type TestUser } from "../helpers";
import { connect, openSocket, upgradeStatus, wsUrl } from "../ws-helpers";

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

describe("bots and API tokens", async () => {
  const { server, api } = await listen();
  const parley = server.parley;
  const [alice, staff] = (await Promise.all(["alice", "staff"].map((name) => registerUser(api, name)))) as [TestUser, TestUser];
  await makeStaff(parley, staff.id);
  const newToken = async (owner: TestUser, body: Record<string, unknown>) => {
    const response = await api("POST", "/api/tokens/", { token: owner.access, body });
    expect(response.status).toBe(201);
    return response.body as { id: number; token: string; scopes: string[] };
  };

  test("a token is shown once with a recognizable prefix, stored only as its SHA-256, and listed without it", async () => {
    const created = await newToken(alice, { name: "ci", scopes: ["read", "write"] });
    expect(created.token).toMatch(/^parley_[A-Za-z0-9_-]{43}$/);
    expect(created.scopes).toEqual(["read", "write"]);
    const rows = await queryRows<{ hash: string; user_id: number }>(parley, "SELECT hash, user_id FROM api_tokens WHERE id = ?", [created.id]);
    expect(rows).toEqual([{ hash: sha256(created.token), user_id: alice.id }]);
    const listed = await api("GET", "/api/tokens/", { token: alice.access });
    expect(listed.status).toBe(200);
    const mine = listed.body.find((t: { id: number }) => t.id === created.id);
    expect(mine).toEqual({ id: created.id, name: "ci", scopes: ["read", "write"], created_at: expect.any(String), expires_at: null, last_used_at: null });
    expect(JSON.stringify(listed.body)).not.toContain(created.token);
  });

  test("a token works like an access token; last_used is recorded (once a minute, not per request)", async () => {
    const { token, id } = await newToken(alice, { name: "script", scopes: ["read", "write"] });
    const me = await api("GET", `/api/${alice.id}/`, { token });
    expect(me.status).toBe(200);
    expect(me.body.is_bot).toBe(false);
    const group = await createGroup(api, alice);
    const sent = await api("POST", `/api/messages/${group.id}/send/`, { token, body: { message: "from a script" } });
    expect(sent.status).toBe(201);
    expect(sent.body.sender).toBe(alice.id);
    let used: number | null = null;
    for (let i = 0; i < 50 && used === null; i++) {
      used = (await queryRows<{ last_used_at: number | null }>(parley, "SELECT last_used_at FROM api_tokens WHERE id = ?", [id]))[0]!.last_used_at;
      if (used === null) await Bun.sleep(20);
    }
    expect(used).not.toBeNull();
    await api("GET", `/api/${alice.id}/`, { token });
    expect((await queryRows(parley, "SELECT last_used_at FROM api_tokens WHERE id = ?", [id]))[0].last_used_at).toBe(used);
  });

  test("a read token cannot send (403 insufficient_scope) over REST or /ws; admin is for staff only", async () => {
    const { token } = await newToken(alice, { name: "reader", scopes: ["read"] });
    const group = await createGroup(api, alice);
    const refused = await api("POST", `/api/messages/${group.id}/send/`, { token, body: { message: "nope" } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("insufficient_scope");
    expect((await api("GET", `/api/messages/${group.id}/`, { token })).status).toBe(200);
    const socket = await connect(server.url, token);
    socket.send({ type: "message.send", ref: 1, conversation_id: group.id, message: "nope" });
    expect((await socket.next("error")).data.code).toBe("insufficient_scope");
    await socket.close();
    // A write-only token cannot open /ws (reading), nor escalate by making a read token.
    const writer = (await newToken(alice, { name: "writer", scopes: ["write"] })).token;
    expect(await upgradeStatus(server.url, `/ws?token=${writer}`)).toBe(403);
    expect((await api("POST", "/api/tokens/", { token: writer, body: { name: "x", scopes: ["read"] } })).status).toBe(403);
    const admin = await api("POST", "/api/tokens/", { token: alice.access, body: { name: "x", scopes: ["admin"] } });
    expect(admin.status).toBe(403);
    // Staff: a token without `admin` has no staff powers; with it, it does.
    const plain = await newToken(staff, { name: "plain", scopes: ["read", "write"] });
    expect((await api("GET", "/api/admin/users/", { token: plain.token })).body.code).toBe("insufficient_scope");
    const full = await newToken(staff, { name: "full", scopes: ["read", "admin"] });
    expect((await api("GET", "/api/admin/users/", { token: full.token })).status).toBe(200);
  });

  test("revoking ends the token at once, closes its sockets, and leaves the user's other sockets open", async () => {
    const { token, id } = await newToken(alice, { name: "gone", scopes: ["read"] });
    const tokenSocket = await connect(server.url, token);
    const ticket = (await api("POST", "/api/ws-ticket/", { token })).body.ticket;
    const sessionSocket = await connect(server.url, alice.access);
    expect((await api("DELETE", `/api/tokens/${id}/`, { token: alice.access })).status).toBe(204);
    expect((await tokenSocket.closed).code).toBe(1008);
    const after = await api("GET", `/api/${alice.id}/`, { token });
    expect(after.status).toBe(401);
    expect(await upgradeStatus(server.url, `/ws?ticket=${ticket}`)).toBe(401);
    expect(sessionSocket.ws.readyState).toBe(WebSocket.OPEN);
    expect((await api("DELETE", `/api/tokens/${id}/`, { token: alice.access })).status).toBe(404);
    await sessionSocket.close();
  });

  test("an expired token is refused; expires_at must be in the future", async () => {
    expect((await api("POST", "/api/tokens/", { token: alice.access, body: { name: "x", scopes: ["read"], expires_at: "2000-01-01T00:00:00Z" } })).status).toBe(
      400,
    );
    const { token, id } = await newToken(alice, { name: "short", scopes: ["read"], expires_at: new Date(Date.now() + 60_000).toISOString() });
    expect((await api("GET", `/api/${alice.id}/`, { token })).status).toBe(200);
    await queryRows(parley, "UPDATE api_tokens SET expires_at = ? WHERE id = ?", [Date.now() - 1, id]);
    expect((await api("GET", `/api/${alice.id}/`, { token })).status).toBe(401);
  });

  test("staff make bots: no password login, is_bot everywhere, tokens managed by staff; deactivation ends them", async () => {
    const refused = await api("POST", "/api/admin/bots/", { token: alice.access, body: { username: "nobot", display_name: "No" } });
    expect(refused.status).toBe(403);
    const made = await api("POST", "/api/admin/bots/", { token: staff.access, body: { username: `ci-bot-${process.pid}`, display_name: "CI bot" } });
    expect(made.status).toBe(201);
    const bot = made.body;
    expect(bot).toMatchObject({ is_bot: true, is_staff: false, first_name: "CI bot", is_active: true });
    expect((await api("GET", "/api/admin/bots/", { token: staff.access })).body.map((b: { id: number }) => b.id)).toContain(bot.id);
    // No password matches a bot; staff setting one does not let it log in either.
    expect((await api("POST", "/api/login/", { body: { email: bot.email, password: "!" } })).status).toBe(401);
    expect((await api("PATCH", `/api/${bot.id}/update/`, { token: staff.access, body: { password: "a long password" } })).status).toBe(200);
    expect((await api("POST", "/api/login/", { body: { email: bot.email, password: "a long password" } })).status).toBe(401);

    expect((await api("POST", `/api/admin/bots/${bot.id}/tokens/`, { token: staff.access, body: { name: "x", scopes: ["admin"] } })).status).toBe(403);
    expect((await api("POST", `/api/admin/bots/${alice.id}/tokens/`, { token: staff.access, body: { name: "x", scopes: ["read"] } })).status).toBe(404);
    const created = await api("POST", `/api/admin/bots/${bot.id}/tokens/`, { token: staff.access, body: { name: "deploy", scopes: ["read", "write"] } });
    expect(created.status).toBe(201);
    const botToken = created.body.token as string;
    expect((await api("GET", `/api/admin/bots/${bot.id}/tokens/`, { token: staff.access })).body.map((t: { id: number }) => t.id)).toEqual([created.body.id]);

    const group = await createGroup(api, alice, [bot.id]);
    const members = (await api("GET", "/api/conversations/", { token: alice.access })).body.find((c: { id: number }) => c.id === group.id).members;
    expect(members.find((m: { id: number }) => m.id === bot.id).is_bot).toBe(true);
    expect(members.find((m: { id: number }) => m.id === alice.id).is_bot).toBe(false);
    const listener = await connect(server.url, alice.access);
    const sent = await api("POST", `/api/messages/${group.id}/send/`, { token: botToken, body: { message: "deployed" } });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ sender: bot.id, sender_is_bot: true, via_webhook: false, sender_display_name: null });
    expect((await listener.next("message.created")).data.sender_is_bot).toBe(true);
    const mine = await sendText(api, alice, group.id, "human");
    expect(mine.sender_is_bot).toBe(false);
    const botSocket = await connect(server.url, botToken);
    expect((await botSocket.seen("hello")).data.user).toEqual({ id: bot.id, username: bot.username, is_bot: true });
    expect((await listener.seen("hello")).data.user).toEqual({ id: alice.id, username: alice.username, is_bot: false });
    expect((await api("GET", "/api/admin/users/", { token: staff.access, body: undefined })).body.find((u: { id: number }) => u.id === bot.id).is_bot).toBe(
      true,
    );

    expect((await api("POST", `/api/admin/users/${bot.id}/deactivate/`, { token: staff.access })).status).toBe(200);
    expect((await botSocket.closed).code).toBe(1008);
    expect((await api("GET", `/api/${alice.id}/`, { token: botToken })).status).toBe(401);
    await listener.close();
  });

  test("deleting the user deletes their tokens", async () => {
    const carol = await registerUser(api, "carol");
    const { token } = await newToken(carol, { name: "c", scopes: ["read"] });
    expect((await api("DELETE", `/api/${carol.id}/delete/`, { token: carol.access })).status).toBe(204);
    expect((await api("GET", `/api/${alice.id}/`, { token })).status).toBe(401);
    expect(await queryRows(parley, "SELECT id FROM api_tokens WHERE user_id = ?", [carol.id])).toEqual([]);
  });

  test("a ticket asked for with a token opens /ws within the token's scopes", async () => {
    const { token } = await newToken(alice, { name: "t", scopes: ["read"] });
    const { ticket } = (await api("POST", "/api/ws-ticket/", { token })).body;
    const socket = await openSocket(wsUrl(server.url, "/ws", undefined, { ticket }));
    expect((await socket.next("hello")).data.user.id).toBe(alice.id);
    socket.send({ type: "typing", conversation_id: 1 });
    expect((await socket.next("error")).data.code).toBe("insufficient_scope");
    await socket.close();
  });
});

afterAll(() => undefined);
