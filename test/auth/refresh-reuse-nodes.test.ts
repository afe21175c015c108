// A refresh token reused on one node ends its login's sockets on the other node too (the disconnect signal crosses
// through Redis), and only that login's. Skipped when no Redis answers, as the multi-node tests are.
import { afterAll, describe, expect, test } from "bun:test";
import { waitFor } from "../chat-helpers";
import { httpClient, registerUser, tempDir } from "../helpers";
import { serve, stop, type Server } from "../process-helpers";
import { REDIS_URL, redisProblem, skipWithout } from "../test-services";
import { openSocket, wsUrl } from "../ws-helpers";

describe.skipIf(skipWithout("refresh-token reuse across nodes", await redisProblem()))("refresh-token reuse across nodes", () => {
  const nodes: Server[] = [];
  afterAll(async () => {
    for (const node of nodes) await stop(node).catch(() => undefined);
  });

  test("reuse on node A closes the family's socket on node B within a second; another login's socket on B stays", async () => {
    const dataDir = tempDir();
    for (let i = 0; i < 2; i++) nodes.push(await serve(dataDir, { PARLEY_REDIS_URL: REDIS_URL, PARLEY_RATE_LIMITS: "off" }));
    const [a, b] = nodes as [Server, Server];
    for (const node of nodes) await waitFor(async () => (await httpClient(node.url)("GET", "/readyz")).body?.redis === "up");
    const apiA = httpClient(a.url);
    const user = await registerUser(apiA, "nodes");
    const other = (await apiA("POST", "/api/login/", { body: { email: user.email, password: user.password } })).body;

    const rotated = (await apiA("POST", "/api/token/refresh/", { body: { refresh: user.refresh } })).body;
    const familySocket = await openSocket(wsUrl(b.url, "/ws", rotated.access));
    const otherSocket = await openSocket(wsUrl(b.url, "/ws", other.access));
    await familySocket.next("hello");
    await otherSocket.next("hello");

    const started = performance.now();
    expect((await apiA("POST", "/api/token/refresh/", { body: { refresh: user.refresh } })).status).toBe(401);
    expect((await familySocket.closed).code).toBe(1008);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(otherSocket.ws.readyState).toBe(WebSocket.OPEN);
    expect((await httpClient(b.url)("GET", "/api/users/protected/", { token: rotated.access })).status).toBe(401);
    expect((await httpClient(b.url)("GET", "/api/users/protected/", { token: other.access })).status).toBe(200);
    await otherSocket.close();
  }, 30_000);
});
