// The database goes away and comes back, under write load on two nodes (a PostgreSQL of the test's own, restarted,
// then stopped for 10 s; Redis; a data dir each): while it is gone, requests that need it are refused at once with
// 503, Retry-After and the API's error shape, a /ws send gets an `error` frame, sockets stay open, /readyz says why,
// and the log says so once each way; service resumes by itself (the pool reconnects). Nothing acknowledged is lost:
// every acknowledged message is stored once and reached every open or resuming socket once, in seq order.
import { afterAll, describe, expect, test } from "bun:test";
import { waitFor } from "../chat-helpers";
import { expectAllDelivered, expectAllStored, clusterNode, sendLoad, summary } from "../fault-helpers";
import { httpClient, registerUser } from "../helpers";
import { ownPostgresProblem, startOwnPostgres, type OwnPostgres } from "../own-postgres";
import { parse, stop, type Server } from "../process-helpers";
import { redisProblem, skipWithout } from "../test-services";
import { connect, type TestSocket } from "../ws-helpers";

const skipped = skipWithout("database restart tests", (await redisProblem()) ?? ownPostgresProblem());

describe.skipIf(skipped)("the database goes away and comes back, under load on two nodes", () => {
  let postgres: OwnPostgres;
  const nodes: Server[] = [];
  afterAll(async () => {
    try {
      for (const node of nodes) await stop(node).catch(() => undefined);
    } finally {
      postgres?.destroy();
    }
  });

  /** Both nodes still run: neither died of the outage (an unhandled rejection, say); its stderr when one did. */
  const expectAlive = () => {
    for (const node of nodes) expect(node.child.exitCode, node.stderr().slice(-2000)).toBeNull();
  };

  /** Log lines of `node` whose message starts with `prefix`. */
  const logged = (node: Server, prefix: string) => node.lines.map(parse).filter((entry) => String(entry?.msg).startsWith(prefix));

  async function setUp() {
    postgres = startOwnPostgres();
    const [a, b] = [await clusterNode(postgres.url), await clusterNode(postgres.url)] as [Server, Server];
    nodes.push(a, b);
    const [apiA, apiB] = [httpClient(a.url), httpClient(b.url)];
    const alice = await registerUser(apiA, "alice");
    const bob = await registerUser(apiB, "bob");
    const group = (await apiA("POST", "/api/groups/create/", { token: alice.access, body: { name: "through an outage", members: [bob.id] } })).body
      .id as number;
    const sockets = { aliceOnA: await connect(a.url, alice.access), bobOnB: await connect(b.url, bob.access) };
    const loads = [sendLoad(apiA, alice, group, "alice-on-a"), sendLoad(apiB, bob, group, "bob-on-b")];
    return { a, b, apiA, apiB, alice, bob, group, sockets, loads };
  }

  let world: Awaited<ReturnType<typeof setUp>>;

  test("a restart under load: no 500, nothing lost, service resumes by itself", async () => {
    world = await setUp();
    const { loads, sockets, group } = world;
    for (const load of loads) await load.more(10);
    const restarted = performance.now();
    await postgres.restart();
    const restartMs = performance.now() - restarted;
    for (const load of loads) await load.more(20).finally(expectAlive);
    const refusals = loads.flatMap((load) => load.refusals);
    for (const refusal of refusals) expect(refusal).toMatchObject({ status: 503, code: "database_unavailable", retryAfter: "2" });
    const acknowledged = loads.flatMap((load) => load.acknowledged);
    await expectAllStored(postgres.url, group, acknowledged);
    for (const [name, socket] of Object.entries(sockets)) {
      expect(socket.ws.readyState, `${name} open`).toBe(WebSocket.OPEN);
      await expectAllDelivered(socket, acknowledged, name);
    }
    for (const node of [world.a, world.b]) {
      expect(logged(node, "unhandled error")).toEqual([]);
      // Said once each way, if this node met the restart at all (a quick restart may fall between its requests).
      expect(logged(node, "database is back").length).toBe(logged(node, "database unavailable").length);
      expect(logged(node, "database unavailable").length).toBeLessThanOrEqual(1);
    }
    console.log(
      `database restart: pg_ctl restart took ${Math.round(restartMs)} ms; ${acknowledged.length} messages acknowledged, ` +
        `${refusals.length} refusals (503) meanwhile, answered in ${JSON.stringify(summary(refusals.map((r) => r.ms)))} ms`,
    );
  }, 40_000);

  test("stopped for 10 s: fast 503s with Retry-After, error frames, sockets open, /readyz says why; then it recovers", async () => {
    const { a, b, apiA, apiB, alice, loads, sockets, group } = world;
    const loggedBefore = [a, b].map((node) => logged(node, "database unavailable").length);
    const lastSeq = Math.max(...sockets.bobOnB.frames.map((f) => f.seq ?? 0));
    await postgres.stop();
    const stoppedAt = performance.now();
    // Both loads are refused now.
    for (const load of loads) expect(await waitFor(() => load.refusals.length > 5, 5_000)).toBe(true);
    expectAlive();
    const refusedDuring = loads.map((load) => load.refusals.length);

    for (const api of [apiA, apiB]) {
      const ready = await api("GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: "unavailable", reason: "database unavailable" });
      // A read needs the database too: refused at once, in the API's shape.
      const started = performance.now();
      const history = await api("GET", `/api/messages/${group}/`, { token: alice.access });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(history.status).toBe(503);
      expect(history.headers.get("retry-after")).toBe("2");
      expect(history.body).toEqual({ detail: expect.any(String), error: expect.any(String), code: "database_unavailable" });
      expect((await api("GET", "/healthz")).status).toBe(200); // alive, not ready
    }
    // A send over the socket: an error frame, and the socket stays open.
    sockets.aliceOnA.send({ type: "message.send", conversation_id: group, message: "while the database is away", ref: "away" });
    const frame = await sockets.aliceOnA.next((f) => f.ref === "away");
    expect(frame).toMatchObject({ type: "error", ref: "away", data: { code: "database_unavailable", retry_after: 2, retry_after_ms: 2_000 } });
    // A new socket cannot be authenticated without the database: its upgrade is refused with the same 503.
    const upgrade = await fetch(`${a.url}/ws`, {
      headers: {
        authorization: `Bearer ${alice.access}`,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    expect(upgrade.status).toBe(503);
    expect((await upgrade.json()).code).toBe("database_unavailable");

    // Away for 10 s in all, while the loads keep trying.
    await Bun.sleep(Math.max(0, 10_000 - (performance.now() - stoppedAt)));
    expectAlive();
    for (const [name, socket] of Object.entries(sockets)) expect(socket.ws.readyState, `${name} open after 10 s`).toBe(WebSocket.OPEN);
    const refusals = loads.flatMap((load) => load.refusals);
    const during = loads.flatMap((load, i) => load.refusals.slice(refusedDuring[i]! - 5));
    for (const refusal of during) expect(refusal).toMatchObject({ status: 503, code: "database_unavailable", retryAfter: "2" });
    const latency = summary(during.map((r) => r.ms));
    expect(latency.p99).toBeLessThan(1_000);

    await postgres.start();
    const startedAgain = performance.now();
    const ackedWhileAway = loads.map((load) => load.acknowledged.length);
    expect(await waitFor(() => loads.every((load, i) => load.acknowledged.length > ackedWhileAway[i]!), 10_000)).toBe(true);
    const resumedMs = performance.now() - startedAgain;
    for (const load of loads) await load.more(10);
    for (const load of loads) await load.stop();
    for (const api of [apiA, apiB]) expect(await waitFor(async () => (await api("GET", "/readyz")).status === 200, 5_000)).toBe(true);
    // Logged once each way on each node, and never a 500.
    for (const [i, node] of [a, b].entries()) {
      expect(logged(node, "database unavailable").length - loggedBefore[i]!).toBe(1);
      expect(await waitFor(() => logged(node, "database is back").length === logged(node, "database unavailable").length)).toBe(true);
      expect(logged(node, "unhandled error")).toEqual([]);
      expect(logged(node, "database unavailable").at(-1)?.level).toBe("error");
    }

    // Nothing acknowledged was lost: in the database once each, on the sockets that stayed open once each, in order,
    // and on a socket that resumes with `since` from before the outage.
    const acknowledged = loads.flatMap((load) => load.acknowledged);
    const stored = await expectAllStored(postgres.url, group, acknowledged);
    expect(stored).toBe(acknowledged.length);
    for (const [name, socket] of Object.entries(sockets)) await expectAllDelivered(socket, acknowledged, name);
    const resumed: TestSocket = await connect(a.url, world.bob.access, { since: lastSeq });
    const sinceOutage = acknowledged.filter((ack) =>
      sockets.bobOnB.frames.some((f) => f.type === "message.created" && f.data.id === ack.id && f.seq! > lastSeq),
    );
    await expectAllDelivered(resumed, sinceOutage, "resumed with since");
    console.log(
      `database stopped 10 s: ${refusals.length} refusals in all, 503 answered in ${JSON.stringify(latency)} ms; ` +
        `both nodes' first send acknowledged ${Math.round(resumedMs)} ms after pg_ctl start returned; ${acknowledged.length} acknowledged, ${stored} stored, none lost`,
    );
    await resumed.close();
  }, 50_000);
});
