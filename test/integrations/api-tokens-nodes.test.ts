// API tokens on two nodes (one PostgreSQL database, one Redis, a data dir each): a token revoked on node A, or whose
// user node A deactivates or deletes, stops at once on node B too: its socket there is closed with 1008 within a
// second, and its next REST request there is 401. Needs PostgreSQL and Redis (skipped with the reason when either
// does not answer).
import { describe, expect, test } from "bun:test";
import { makeStaff, waitFor } from "../chat-helpers";
import { httpClient, listen, registerUser, tempDir, type Api, type TestUser } from "../helpers";
import { postgresDatabaseFor } from "../test-database";
import { postgresProblem, REDIS_URL, redisProblem, skipWithout } from "../test-services";
import { connect, type TestSocket } from "../ws-helpers";

const skipped = skipWithout("API token cluster tests", (await redisProblem()) ?? postgresProblem());

describe.skipIf(skipped)("API tokens on two nodes", async () => {
  const databaseUrl = postgresDatabaseFor(`api tokens cluster ${tempDir()}`);
  const options = { databaseUrl, redisUrl: REDIS_URL };
  const [a, b] = [await listen(options), await listen(options)];
  expect(a.config.dataDir).not.toBe(b.config.dataDir);
  await waitFor(async () => (await httpClient(a.server.url)("GET", "/readyz")).body?.cluster?.nodes === 2);
  await waitFor(async () => (await httpClient(b.server.url)("GET", "/readyz")).body?.cluster?.nodes === 2);
  const staff = await registerUser(a.api, "staff");
  await makeStaff(a.server.parley, staff.id);

  /** A new user with a token; the token's socket open on node B and its REST working there. */
  async function tokenOnB(name: string): Promise<{ user: TestUser; token: string; id: number; socket: TestSocket }> {
    const user = await registerUser(a.api, name);
    const made = await a.api("POST", "/api/tokens/", { token: user.access, body: { name: "script", scopes: ["read", "write"] } });
    expect(made.status).toBe(201);
    const socket = await connect(b.server.url, made.body.token);
    expect((await b.api("GET", `/api/${user.id}/`, { token: made.body.token })).status).toBe(200);
    return { user, token: made.body.token, id: made.body.id, socket };
  }

  /** Does `act` on node A; the socket on node B closes with 1008 within a second and REST on B answers 401. */
  async function endsOnB(socket: TestSocket, token: string, userId: number, act: (api: Api) => Promise<number>, expected: number) {
    const started = performance.now();
    expect(await act(a.api)).toBe(expected);
    const closed = await Promise.race([socket.closed, Bun.sleep(2_000).then(() => null)]);
    const elapsed = performance.now() - started;
    expect(closed?.code).toBe(1008);
    expect(elapsed).toBeLessThan(1_000);
    const after = await b.api("GET", `/api/${userId}/`, { token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("token_not_valid");
  }

  test("revoked on node A: its socket on node B closes with 1008 at once, REST on B is 401", async () => {
    const { user, token, id, socket } = await tokenOnB("revoked");
    const session = await connect(b.server.url, user.access);
    await endsOnB(socket, token, user.id, async (api) => (await api("DELETE", `/api/tokens/${id}/`, { token: user.access })).status, 204);
    // Only that token's socket: the user's login session on B stays open and working.
    expect(session.ws.readyState).toBe(WebSocket.OPEN);
    expect((await b.api("GET", `/api/${user.id}/`, { token: user.access })).status).toBe(200);
    await session.close();
  });

  test("its user deactivated on node A: its socket on node B closes with 1008 at once, REST on B is 401", async () => {
    const { user, token, socket } = await tokenOnB("deactivated");
    const deactivate = async (api: Api) => (await api("POST", `/api/admin/users/${user.id}/deactivate/`, { token: staff.access })).status;
    await endsOnB(socket, token, user.id, deactivate, 200);
  });

  test("its user deleted on node A: its socket on node B closes with 1008 at once, REST on B is 401", async () => {
    const { user, token, socket } = await tokenOnB("deleted");
    await endsOnB(socket, token, user.id, async (api) => (await api("DELETE", `/api/${user.id}/delete/`, { token: user.access })).status, 204);
  });
});
