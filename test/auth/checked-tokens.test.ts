// A token that has just passed (its check is remembered, see auth/caller-cache.ts) stops working at once when its
// user's sign-in changes: on this node, and on another node through Redis.
import { afterAll, describe, expect, test } from "bun:test";
import { waitFor } from "../chat-helpers";
import { httpClient, listen, registerUser, tempDir, type Api, type TestUser } from "../helpers";
import { serve, stop, type Server } from "../process-helpers";
import { REDIS_URL, redisProblem, skipWithout } from "../test-services";

const passes = async (api: Api, token: string) => (await api("GET", "/api/users/protected/", { token })).status === 200;

describe("a token checked moments ago", async () => {
  const { server, api } = await listen({ rateLimits: false });
  const staff = await registerUser(api, "staff");
  await server.parley.ctx.db.updateTable("users").set({ is_staff: 1 }).where("id", "=", staff.id).execute();

  /** A user whose token has just passed, twice (the second from the remembered check). */
  const checked = async (name: string): Promise<TestUser> => {
    const user = await registerUser(api, name);
    for (let i = 0; i < 2; i++) expect(await passes(api, user.access)).toBe(true);
    return user;
  };

  test("is refused at once after logout, logout everywhere, a new password, deactivation and deletion", async () => {
    const out = await checked("out");
    expect((await api("POST", "/api/logout/", { token: out.access, body: { refresh: out.refresh } })).status).toBe(200);
    expect(await passes(api, out.access)).toBe(false);

    const everywhere = await checked("everywhere");
    expect((await api("POST", "/api/logout/all/", { token: everywhere.access })).status).toBe(200);
    expect(await passes(api, everywhere.access)).toBe(false);

    const renewed = await checked("renewed");
    const change = { password: "a new horse battery", current_password: renewed.password };
    expect((await api("PATCH", `/api/${renewed.id}/update/`, { token: renewed.access, body: change })).status).toBe(200);
    expect(await passes(api, renewed.access)).toBe(false);

    const deactivated = await checked("deactivated");
    expect((await api("POST", `/api/admin/users/${deactivated.id}/deactivate/`, { token: staff.access })).status).toBe(200);
    expect(await passes(api, deactivated.access)).toBe(false);

    const deleted = await checked("deleted");
    expect((await api("DELETE", `/api/${deleted.id}/delete/`, { token: deleted.access })).status).toBe(204);
    expect(await passes(api, deleted.access)).toBe(false);
  });

  test("sends under the new username at once after a rename", async () => {
    const user = await checked("renamed");
    expect((await api("PATCH", `/api/${user.id}/update/`, { token: user.access, body: { username: `${user.username}x` } })).status).toBe(200);
    const group = (await api("POST", "/api/groups/create/", { token: user.access, body: { name: `renamed-${user.id}`, members: [] } })).body;
    const sent = await api("POST", `/api/messages/${group.id}/send/`, { token: user.access, body: { message: "hi" } });
    expect(sent.body.sender_username).toBe(`${user.username}x`);
  });
});

describe.skipIf(skipWithout("checked tokens across nodes", await redisProblem()))("a token checked moments ago on another node", () => {
  const nodes: Server[] = [];
  afterAll(async () => {
    for (const node of nodes) await stop(node).catch(() => undefined);
  });

  test("is refused on node B as soon as the logout on node A is announced, well before the check would be redone", async () => {
    const dataDir = tempDir();
    for (let i = 0; i < 2; i++) nodes.push(await serve(dataDir, { PARLEY_REDIS_URL: REDIS_URL, PARLEY_RATE_LIMITS: "off" }));
    const [a, b] = nodes as [Server, Server];
    for (const node of nodes) await waitFor(async () => (await httpClient(node.url)("GET", "/readyz")).body?.redis === "up");
    const [apiA, apiB] = [httpClient(a.url), httpClient(b.url)];
    const user = await registerUser(apiA, "nodes");
    const bystander = await registerUser(apiA, "bystander");
    for (const token of [user.access, user.access, bystander.access]) expect(await passes(apiB, token)).toBe(true);

    expect((await apiA("POST", "/api/logout/all/", { token: user.access })).status).toBe(200);
    const started = performance.now();
    await waitFor(async () => !(await passes(apiB, user.access)));
    expect(performance.now() - started).toBeLessThan(500);
    expect(await passes(apiB, bystander.access)).toBe(true);
  }, 30_000);
});
