// Opening a WebSocket without the access token in its URL: POST /api/ws-ticket/ gives a single-use ticket, valid
// for 30 seconds and only while the token that asked for it is; ?token= keeps working for older clients.
import { afterAll, describe, expect, test } from "bun:test";
import { housekeepOnce } from "../../src/housekeeping";
import { createGroup } from "../chat-helpers";
import { listen, queryRows, registerUser } from "../helpers";
import { serve, stop } from "../process-helpers";
import { openSocket, upgradeStatus, wsUrl } from "../ws-helpers";

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

describe("WebSocket tickets", async () => {
  const { server, api, config } = await listen();
  const parley = server.parley;
  const [alice, bob, staff] = await Promise.all(["alice", "bob", "staff"].map((name) => registerUser(api, name)));
  await queryRows(parley, "UPDATE users SET is_staff = 1 WHERE id = ?", [staff!.id]);
  const ticketFor = async (access: string) => {
    const response = await api("POST", "/api/ws-ticket/", { token: access });
    expect(response.status).toBe(200);
    return response.body as { ticket: string; expires_in: number };
  };
  const ageTicket = (ticket: string) => queryRows(parley, "UPDATE ws_tickets SET expires_at = ? WHERE hash = ?", [Date.now() - 1, sha256(ticket)]);
  const ticketRows = async () => (await queryRows<{ n: number }>(parley, "SELECT count(*) AS n FROM ws_tickets"))[0]!.n;

  test("a ticket opens /ws once, as the user who asked for it; a second use is refused with 401", async () => {
    const { ticket, expires_in } = await ticketFor(bob!.access);
    expect(expires_in).toBe(30);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Stored as its hash only, never as itself.
    const stored = await queryRows<{ hash: string; user_id: number }>(parley, "SELECT hash, user_id FROM ws_tickets");
    expect(stored).toEqual([{ hash: sha256(ticket), user_id: bob!.id }]);
    const socket = await openSocket(wsUrl(server.url, "/ws", undefined, { ticket }));
    expect((await socket.next("hello")).data.user).toEqual({ id: bob!.id, username: bob!.username, is_bot: false });
    expect(await upgradeStatus(server.url, `/ws?ticket=${ticket}`)).toBe(401);
    expect(await ticketRows()).toBe(0);
    await socket.close();
  });

  test("without a valid token no ticket; an unknown ticket is refused", async () => {
    expect((await api("POST", "/api/ws-ticket/")).status).toBe(401);
    expect((await api("POST", "/api/ws-ticket/", { token: alice!.refresh })).status).toBe(401);
    expect(await upgradeStatus(server.url, `/ws?ticket=${"A".repeat(43)}`)).toBe(401);
    expect(await upgradeStatus(server.url, "/ws?ticket=")).toBe(401);
  });

  test("an expired ticket is refused, and housekeeping sweeps expired ones", async () => {
    const expired = (await ticketFor(alice!.access)).ticket;
    await ageTicket(expired);
    expect(await upgradeStatus(server.url, `/ws?ticket=${expired}`)).toBe(401);
    const old = (await ticketFor(alice!.access)).ticket;
    const fresh = (await ticketFor(alice!.access)).ticket;
    await ageTicket(old);
    await housekeepOnce(parley.ctx);
    expect(await queryRows(parley, "SELECT hash FROM ws_tickets")).toEqual([{ hash: sha256(fresh) }]);
    const socket = await openSocket(wsUrl(server.url, "/ws", undefined, { ticket: fresh }));
    await socket.next("hello");
    await socket.close();
  });

  test("a ticket ends with the access token that asked for it: logout, deactivation", async () => {
    const session = await api("POST", "/api/login/", { body: { email: alice!.email, password: alice!.password } });
    const beforeLogout = (await ticketFor(session.body.access)).ticket;
    expect((await api("POST", "/api/logout/", { token: session.body.access, body: { refresh: session.body.refresh } })).status).toBe(200);
    expect(await upgradeStatus(server.url, `/ws?ticket=${beforeLogout}`)).toBe(401);

    const beforeDeactivation = (await ticketFor(alice!.access)).ticket;
    expect((await api("POST", `/api/admin/users/${alice!.id}/deactivate/`, { token: staff!.access })).status).toBe(200);
    expect(await upgradeStatus(server.url, `/ws?ticket=${beforeDeactivation}`)).toBe(401);
    expect((await api("POST", `/api/admin/users/${alice!.id}/reactivate/`, { token: staff!.access })).status).toBe(200);
  });

  test("a ticket issued by one node opens a socket on another node of the same database, once", async () => {
    const other = await serve(config.dataDir);
    afterAll(() => stop(other));
    const { ticket } = await ticketFor(bob!.access);
    const socket = await openSocket(wsUrl(other.url, "/ws", undefined, { ticket }));
    expect((await socket.next("hello")).data.user.id).toBe(bob!.id);
    expect(await upgradeStatus(server.url, `/ws?ticket=${ticket}`)).toBe(401);
    expect(await upgradeStatus(other.url, `/ws?ticket=${ticket}`)).toBe(401);
    await socket.close();
  });

  test("the original's /ws/chat/{id}/ takes a ticket too, and ?token= still works on both", async () => {
    const group = await createGroup(api, bob!, []);
    const legacy = await openSocket(wsUrl(server.url, `/ws/chat/${group.id}/`, undefined, { ticket: (await ticketFor(bob!.access)).ticket }));
    const withToken = await openSocket(wsUrl(server.url, "/ws", bob!.access));
    expect((await withToken.next("hello")).data.user.id).toBe(bob!.id);
    const legacyWithToken = await openSocket(wsUrl(server.url, `/ws/chat/${group.id}/`, bob!.access));
    await api("POST", `/api/messages/${group.id}/send/`, { token: bob!.access, body: { message: "heard by both" } });
    expect(await legacy.next((f) => f.message === "heard by both")).toEqual({ message: "heard by both", sender: bob!.username });
    expect(await legacyWithToken.next((f) => f.message === "heard by both")).toEqual({ message: "heard by both", sender: bob!.username });
    await Promise.all([legacy.close(), withToken.close(), legacyWithToken.close()]);
  });
});
