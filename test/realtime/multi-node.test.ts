// Several nodes: Parley processes on one PostgreSQL database and one Redis, each with a data dir of its own (the
// cluster is the database, not a path). Members on different nodes get every message exactly once and in seq order;
// a client resumes on the other node with the seq it got from the first; logouts, typing, presence and rate limits
// cross nodes through Redis, fast, not through the log poll; two databases on one Redis never hear each other; a
// node whose Redis is unreachable still delivers the other node's events (read from the log) and says so in /readyz
// and /metrics. Needs PostgreSQL and Redis, in either pass (on the SQLite pass it makes its own PostgreSQL
// databases): skipped, with the reason, when either does not answer (failed under PARLEY_TEST_REQUIRE_SERVICES=1).
import { RedisClient } from "bun";
import { afterEach, describe, expect, test } from "bun:test";
import { waitFor } from "../chat-helpers";
import { checkedFetch, httpClient, registerUser, tempDir, type Api } from "../helpers";
import { parse, serve, stop, type Server } from "../process-helpers";
import { postgresDatabaseFor } from "../test-database";
import { postgresProblem, REDIS_URL, redisProblem, skipWithout } from "../test-services";
import { connect, nextFrames, openSocket, wsUrl, type Frame, type TestSocket } from "../ws-helpers";

const skipped = skipWithout("multi-node tests", (await redisProblem()) ?? postgresProblem());

const nodes: Server[] = [];
// A test's nodes stop when it ends: left running, every earlier test's nodes kept polling the log, beating and holding
// PostgreSQL connections (a pool of 4 each) while the later tests ran.
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => stop(node).catch(() => undefined)));
});

let databases = 0;
/** A new cluster: a fresh PostgreSQL database, for its nodes to share. */
const newDatabase = () => postgresDatabaseFor(`multi-node cluster ${++databases}`);

interface NodeOptions {
  redisUrl?: string;
  env?: Record<string, string>;
  /** By default every node gets a new data dir of its own. */
  dataDir?: string;
}

/** A node of the cluster on `database`. */
async function node(database: string, { redisUrl = REDIS_URL, env = { PARLEY_RATE_LIMITS: "off" }, dataDir = tempDir() }: NodeOptions = {}): Promise<Server> {
  const started = await serve(dataDir, { PARLEY_DATABASE_URL: database, PARLEY_DATABASE_POOL: "4", PARLEY_REDIS_URL: redisUrl, ...env });
  nodes.push(started);
  // A reachable Redis is connected before the test goes on (a node may start before its link is up).
  if (redisUrl === REDIS_URL) await waitFor(async () => (await httpClient(started.url)("GET", "/readyz")).body?.redis === "up");
  return started;
}

/** `count` nodes on one new database, started at once (so they race to create the cluster id). */
async function cluster(count: number, options: NodeOptions = {}): Promise<Server[]> {
  const database = newDatabase();
  return Promise.all(Array.from({ length: count }, () => node(database, options)));
}

const readyz = async (server: Server) => (await httpClient(server.url)("GET", "/readyz")).body;

/** Waits until every node says it hears `count` nodes; returns their cluster ids. */
async function hearing(servers: Server[], count: number): Promise<string[]> {
  for (const server of servers) await waitFor(async () => (await readyz(server))?.cluster?.nodes === count);
  const bodies = await Promise.all(servers.map(readyz));
  for (const body of bodies) expect(body).toEqual({ status: "ready", redis: "up", cluster: { id: expect.stringMatching(/^[0-9a-f]{24}$/), nodes: count } });
  return bodies.map((body) => body.cluster.id);
}

/** The cluster id a node logged when it started. */
const loggedClusterId = (server: Server) => server.lines.map(parse).find((entry) => entry?.msg === "listening")?.cluster_id as string;

const socket = (server: Server, token: string, since?: number): Promise<TestSocket> => connect(server.url, token, { since });
/** The next `count` message.created frames a socket receives. */
const messages = (ws: TestSocket, count: number): Promise<Frame[]> => nextFrames(ws, "message.created", count);

/** Two users in one group: `owner` and `member`, registered through `registerOn`'s API. */
async function pairInGroup(servers: [Server, Server], names: [string, string], groupName: string, registerOn: 0 | 1 = 0) {
  const apis: [Api, Api] = [httpClient(servers[0].url), httpClient(servers[1].url)];
  const api = apis[registerOn];
  const owner = await registerUser(api, names[0]);
  const member = await registerUser(api, names[1]);
  const group = (await api("POST", "/api/groups/create/", { token: owner.access, body: { name: groupName, members: [member.id] } })).body.id as number;
  return { apis, owner, member, group };
}

describe.skipIf(skipped)("several nodes, one database, one Redis, a data dir each", () => {
  test("members on different nodes get every message once, in seq order; resume works on the other node", async () => {
    const [a, b] = (await cluster(2)) as [Server, Server];
    const apiA = httpClient(a.url);
    const apiB = httpClient(b.url);
    const alice = await registerUser(apiA, "alice");
    const bob = await registerUser(apiB, "bob"); // an account made on B logs in on A too: one secret, one database
    expect((await apiA("GET", "/api/users/protected/", { token: bob.access })).status).toBe(200);
    const group = (await apiA("POST", "/api/groups/create/", { token: alice.access, body: { name: "across nodes", members: [bob.id] } })).body.id;

    const onA = await socket(a, alice.access);
    const onB = await socket(b, bob.access);
    const sent: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [api, user] = i % 2 ? [apiB, bob] : [apiA, alice];
      const response = await api("POST", `/api/messages/${group}/send/`, { token: user.access, body: { message: `message ${i}` } });
      expect(response.status).toBe(201);
      sent.push(response.body.id);
    }
    for (const ws of [onA, onB]) {
      const frames = await messages(ws, 20);
      expect(frames.map((f) => f.data.id)).toEqual(sent);
      const seqs = frames.map((f) => f.seq!);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(20);
    }
    // Nothing more arrives: exactly once.
    await apiA("POST", `/api/messages/${group}/send/`, { token: alice.access, body: { message: "the last one" } });
    for (const ws of [onA, onB]) expect((await ws.next("message.created")).data.message).toBe("the last one");
    expect(onB.frames.filter((f) => f.type === "message.created")).toHaveLength(21);

    // Bob moves from B to A with the seq he got on B, while two messages were sent on B: no gap, no duplicate.
    const lastSeenOnB = onB.frames.filter((f) => f.type === "message.created").at(-1)!.seq!;
    onB.close();
    for (const text of ["while away 1", "while away 2"]) await apiB("POST", `/api/messages/${group}/send/`, { token: alice.access, body: { message: text } });
    const resumed = await socket(a, bob.access, lastSeenOnB);
    expect((await messages(resumed, 2)).map((f) => f.data.message)).toEqual(["while away 1", "while away 2"]);

    // One cluster: the id the database holds, logged by each node at start; each hears the other.
    const ids = await hearing([a, b], 2);
    expect(new Set([...ids, loggedClusterId(a), loggedClusterId(b)]).size).toBe(1);
    // Through Redis, not the log: each node heard the other's events announced.
    for (const server of [a, b]) {
      const metrics = await (await checkedFetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain("parley_redis_up 1");
      expect(Number(/parley_events_received_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(10);
    }
    // Typing crosses nodes (not logged: through Redis only), and logging out on A closes the sockets on B at once.
    const bobOnB = await socket(b, bob.access);
    bobOnB.send({ type: "typing", conversation_id: group });
    expect((await onA.next("typing")).data).toMatchObject({ user_id: bob.id });
    const logout = await apiA("POST", "/api/logout/", { token: bob.access, body: { refresh: bob.refresh } });
    expect(logout.status).toBe(200);
    expect(await Promise.race([bobOnB.closed.then(({ code }) => code), Bun.sleep(1_000).then(() => "still open after 1 s")])).toBe(1008);
    expect((await resumed.closed).code).toBe(1008); // his socket on A too
    // Revocation and idempotency keys live in the shared database: the same answer whichever node a request hits.
    expect((await apiB("GET", "/api/users/protected/", { token: bob.access })).status).toBe(401);
    expect((await apiB("POST", "/api/token/refresh/", { body: { refresh: bob.refresh } })).status).toBe(401);
    const retried = { message: "sent once, retried on the other node", client_id: `retry-${crypto.randomUUID()}` };
    const first = await apiA("POST", `/api/messages/${group}/send/`, { token: alice.access, body: retried });
    const retry = await apiB("POST", `/api/messages/${group}/send/`, { token: alice.access, body: retried });
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replay")).toBe("true");
    expect(retry.body.id).toBe(first.body.id);
    // One event: a second one would arrive before this later message (frames come in seq order).
    await apiB("POST", `/api/messages/${group}/send/`, { token: alice.access, body: { message: "after the retry" } });
    await onA.next((f) => f.type === "message.created" && f.data.message === "after the retry");
    expect(onA.frames.filter((f) => f.type === "message.created" && f.data.client_id === retried.client_id)).toHaveLength(1);
    onA.close();
  }, 30_000);

  test("three nodes, everyone sending at once: every member gets every message once, in seq order", async () => {
    const servers = await cluster(3);
    const [id] = await hearing(servers, 3); // three nodes started at once agree on one cluster id
    expect(servers.map(loggedClusterId)).toEqual([id!, id!, id!]);
    const apis = servers.map((server) => httpClient(server.url));
    const users = [await registerUser(apis[0]!, "kim"), await registerUser(apis[1]!, "lee"), await registerUser(apis[2]!, "max")];
    const group = (
      await apis[0]!("POST", "/api/groups/create/", { token: users[0]!.access, body: { name: "three nodes", members: [users[1]!.id, users[2]!.id] } })
    ).body.id;
    const sockets = await Promise.all(servers.map((server, i) => socket(server, users[i]!.access)));
    const acknowledged = (
      await Promise.all(
        servers.flatMap((_, n) =>
          Array.from({ length: 10 }, (_, i) =>
            apis[n]!("POST", `/api/messages/${group}/send/`, { token: users[n]!.access, body: { message: `node ${n} #${i}` } }),
          ),
        ),
      )
    ).map((response) => {
      expect(response.status).toBe(201);
      return response.body.id as number;
    });
    const expected = [...acknowledged].sort((x, y) => x - y);
    for (const ws of sockets) {
      const frames = await messages(ws, 30);
      expect(frames.map((f) => f.data.id)).toEqual(expected); // ids grow with seq: one order for everyone
      const seqs = frames.map((f) => f.seq!);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    // A node that stops says so: the others count two at once, not when its heartbeats run out (nor count it again
    // for what it says after: its socket's closing, here).
    await Promise.all([sockets[0]!.close(), sockets[1]!.close()]);
    await stop(servers[2]!);
    await hearing(servers.slice(0, 2), 2);
  }, 30_000);

  test("presence is one answer across nodes: online once, offline only when the last socket anywhere closes", async () => {
    const [a, b] = (await cluster(2)) as [Server, Server];
    const {
      apis: [apiA, apiB],
      owner: erin,
      member: frank,
    } = await pairInGroup([a, b], ["erin", "frank"], "presence across");
    const watcher = await socket(b, frank.access);
    const presence = (api: typeof apiA) => api("GET", `/api/presence/?user_ids=${erin.id}`, { token: frank.access });

    const erinOnA = await socket(a, erin.access);
    expect((await watcher.next("presence")).data).toEqual({ user_id: erin.id, status: "online" });
    expect((await presence(apiB)).body).toEqual([{ user_id: erin.id, status: "online" }]); // asked on the other node
    const erinOnB = await socket(b, erin.access); // a second device, on the other node: nothing new to say
    // Her entry for each node is in the cluster's key (B records its entry just after the hello: wait for it).
    const [id] = await hearing([a, b], 2);
    const redis = new RedisClient(REDIS_URL);
    const key = `parley:presence:${id}:${erin.id}`;
    expect(await waitFor(async () => Number(await redis.send("ZCARD", [key])) === 2)).toBe(true);
    redis.close();
    await erinOnA.close();
    expect((await presence(apiA)).body).toEqual([{ user_id: erin.id, status: "online" }]); // still on B
    await erinOnB.close();
    expect((await watcher.next("presence")).data).toEqual({ user_id: erin.id, status: "offline" });
    expect(watcher.frames.filter((f) => f.type === "presence")).toHaveLength(2); // one online, one offline
    expect((await presence(apiA)).body).toEqual([{ user_id: erin.id, status: "offline" }]);
    watcher.close();
  }, 30_000);

  test("rate limits count across nodes: the fourth login try for one account is refused, whichever node takes it", async () => {
    const limits = { PARLEY_LIMIT_LOGIN_ACCOUNT: "3/10m", PARLEY_LIMIT_LOGIN_IP: "100/1m", PARLEY_LIMIT_REGISTER_IP: "100/1m" };
    const [a, b] = (await cluster(2, { env: limits })) as [Server, Server];
    const apiA = httpClient(a.url);
    const apiB = httpClient(b.url);
    const email = `limited-${Date.now()}@example.com`;
    expect((await apiA("POST", "/api/register/", { body: { username: `limited${Date.now()}`, email, password: "long enough password" } })).status).toBe(201);
    const statuses: number[] = [];
    for (const api of [apiA, apiB, apiA, apiB]) statuses.push((await api("POST", "/api/login/", { body: { email, password: "wrong password!" } })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const other = await apiA("POST", "/api/login/", { body: { email: `other-${email}`, password: "wrong password!" } });
    expect(other.status).toBe(401); // another account has its own bucket
  }, 30_000);

  test.skipIf(skipWithout("the Redis outage test", Bun.which("redis-server") ? null : "no redis-server to start a Redis of its own"))(
    "Redis going away for a while: nodes keep serving, say so, reconnect, and nothing is lost or doubled",
    async () => {
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const startRedis = () =>
        Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdout: "ignore", stderr: "ignore" });
      let redis = startRedis();
      const url = `redis://127.0.0.1:${port}`;
      try {
        await waitFor(async () => (await redisProblem(url)) === null);
        const [a, b] = (await cluster(2, { redisUrl: url })) as [Server, Server];
        for (const server of [a, b]) await waitFor(async () => (await httpClient(server.url)("GET", "/readyz")).body?.redis === "up");
        const {
          apis: [apiA, apiB],
          owner: gina,
          member: hank,
          group,
        } = await pairInGroup([a, b], ["gina", "hank"], "outage");
        const onB = await socket(b, hank.access);
        const send = async (text: string) =>
          (await apiA("POST", `/api/messages/${group}/send/`, { token: gina.access, body: { message: text } })).body.id as number;

        const before = await send("before the outage");
        redis.kill("SIGKILL");
        await redis.exited;
        await waitFor(async () => (await apiB("GET", "/readyz")).body?.redis === "down");
        expect((await apiB("GET", "/readyz")).status).toBe(200);
        const during = [await send("during 1"), await send("during 2")]; // A still serves its own clients
        redis = startRedis();
        for (const server of [a, b]) await waitFor(async () => (await httpClient(server.url)("GET", "/readyz")).body?.redis === "up", 10_000);
        const after = await send("after the outage");
        const frames = await messages(onB, 4);
        expect(frames.map((f) => f.data.id)).toEqual([before, ...during, after]);
        expect(onB.frames.filter((f) => f.type === "message.created")).toHaveLength(4);
        onB.close();
      } finally {
        redis.kill("SIGKILL");
      }
    },
    40_000,
  );

  test("kill -9 of a node under write load loses nothing acknowledged; its client resumes on the other node without a gap", async () => {
    const [a, b] = (await cluster(2)) as [Server, Server];
    const {
      apis: [apiA, apiB],
      owner: ivy,
      member: jack,
      group,
    } = await pairInGroup([a, b], ["ivy", "jack"], "crash", 1);
    const onA = await socket(a, jack.access);
    const acknowledged: number[] = [];
    let crashed = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !crashed || i < 3; i++) {
        const response = await apiA("POST", `/api/messages/${group}/send/`, { token: ivy.access, body: { message: `w${w} #${i}` } }).catch(() => null);
        if (!response) return; // the node is gone: this one was never acknowledged
        if (response.status === 201) acknowledged.push(response.body.id);
      }
    });
    await waitFor(() => acknowledged.length >= 100);
    a.child.kill("SIGKILL");
    crashed = true;
    await Promise.all(writers);
    await a.child.exited;

    // Every acknowledged message is in the database, read through the surviving node.
    const stored = new Set<number>();
    for (let before: number | undefined; ; ) {
      const page = (await apiB("GET", `/api/messages/${group}/?limit=100${before ? `&before=${before}` : ""}`, { token: jack.access })).body as {
        id: number;
      }[];
      for (const m of page) stored.add(m.id);
      if (page.length < 100) break;
      before = page.at(-1)!.id;
    }
    for (const id of acknowledged) expect(stored.has(id)).toBe(true);

    // The client that was on A resumes on B from the last seq it saw: everything after it, once, in order.
    await onA.closed;
    const seen = onA.frames.filter((f) => f.type === "message.created");
    const lastSeq = seen.at(-1)?.seq ?? 0;
    const resumed = await openSocket(wsUrl(b.url, "/ws", jack.access, { since: String(lastSeq) }));
    const missing = [...stored].filter((id) => !seen.some((f) => f.data.id === id)).sort((x, y) => x - y);
    const replayed = missing.length ? await messages(resumed, missing.length) : [];
    expect(replayed.map((f) => f.data.id)).toEqual(missing);
    const all = [...seen, ...replayed].map((f) => f.data.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort((x, y) => x - y)).toEqual([...stored].sort((x, y) => x - y));
    resumed.close();
  }, 40_000);

  test("a node that cannot reach Redis keeps serving and still delivers the other node's events, from the log", async () => {
    const database = newDatabase();
    const a = await node(database);
    const cut = await node(database, { redisUrl: "redis://127.0.0.1:1" }); // nothing listens there
    const {
      apis: [apiA, apiCut],
      owner: alice,
      member: bob,
      group,
    } = await pairInGroup([a, cut], ["carol", "dave"], "cut off");
    const onCut = await socket(cut, bob.access);
    await apiA("POST", `/api/messages/${group}/send/`, { token: alice.access, body: { message: "through the log" } });
    const frame = await onCut.next("message.created"); // within the node's one-second poll of the log
    expect(frame.data.message).toBe("through the log");
    // It serves its own clients as usual, and says Redis is down.
    expect((await apiCut("POST", `/api/messages/${group}/send/`, { token: bob.access, body: { message: "local" } })).status).toBe(201);
    expect((await onCut.next("message.created")).data.message).toBe("local");
    expect((await apiCut("GET", "/readyz")).body).toEqual({ status: "ready", redis: "down", cluster: { id: loggedClusterId(a), nodes: 1 } });
    const metrics = await (await checkedFetch(`${cut.url}/metrics`)).text();
    expect(metrics).toContain("parley_redis_up 0");
    expect(Number(/parley_events_from_log_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(1);
    onCut.close();
  }, 30_000);

  test("with the log poll off, a message sent on A reaches a socket on B through Redis alone, in milliseconds", async () => {
    const [a, b] = (await cluster(2, { env: { PARLEY_RATE_LIMITS: "off", PARLEY_LOG_POLL: "0" } })) as [Server, Server];
    await hearing([a, b], 2);
    const {
      apis: [apiA],
      owner: sender,
      member: reader,
      group,
    } = await pairInGroup([a, b], ["fast", "far"], "latency");
    const onB = await socket(b, reader.access);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const sentAt = performance.now();
      const sent = apiA("POST", `/api/messages/${group}/send/`, { token: sender.access, body: { message: `quick ${i}` } });
      expect((await onB.next("message.created")).data.message).toBe(`quick ${i}`);
      latencies.push(performance.now() - sentAt);
      expect((await sent).status).toBe(201);
    }
    latencies.sort((x, y) => x - y);
    const p50 = latencies[10]!;
    console.log(`cross-node delivery with the poll off, 20 messages: p50 ${p50.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
    expect(p50).toBeLessThan(100);
    // Every one came announced: none was read from the log.
    const metrics = await (await checkedFetch(`${b.url}/metrics`)).text();
    expect(metrics).toContain("parley_events_from_log_total 0");
    expect(Number(/parley_events_received_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(20);
    expect(metrics).toContain("parley_cluster_nodes 2");
    onB.close();
  }, 30_000);

  test("two databases on one Redis, nodes on the same data dir path: two clusters that never hear each other", async () => {
    const dataDir = tempDir(); // the same path for both: it is the database that makes the cluster
    const env = { PARLEY_RATE_LIMITS: "off", PARLEY_LOG_POLL: "0" };
    const x = await node(newDatabase(), { dataDir, env });
    const y = await node(newDatabase(), { dataDir, env });
    // Both fresh databases hand out the same ids: a notice that crossed would reach y's member of "the same" group.
    const inX = await pairInGroup([x, x], ["xavier", "xena"], "in x");
    const inY = await pairInGroup([y, y], ["yann", "yola"], "in y");
    expect([inY.owner.id, inY.member.id, inY.group]).toEqual([inX.owner.id, inX.member.id, inX.group]);
    const onY = await socket(y, inY.member.access);
    const onX = await socket(x, inX.member.access);
    await inX.apis[0]("POST", `/api/messages/${inX.group}/send/`, { token: inX.owner.access, body: { message: "only for x" } });
    expect((await onX.next("message.created")).data.message).toBe("only for x");
    await inY.apis[0]("POST", `/api/messages/${inY.group}/send/`, { token: inY.owner.access, body: { message: "only for y" } });
    expect((await onY.next("message.created")).data.message).toBe("only for y"); // heard nothing before it
    // Typing and presence stay in their cluster too.
    onX.send({ type: "typing", conversation_id: inX.group });
    const xOwner = await socket(x, inX.owner.access);
    await inY.apis[0]("POST", `/api/messages/${inY.group}/send/`, { token: inY.owner.access, body: { message: "marker" } });
    await onY.next((f) => f.type === "message.created" && f.data.message === "marker");
    expect(onY.frames.filter((f) => f.type === "typing" || (f.type === "presence" && f.data.status === "online"))).toEqual([]);
    const [idX, idY] = [await hearing([x], 1), await hearing([y], 1)].map(([id]) => id);
    expect(idX).not.toBe(idY);
    const metrics = await (await checkedFetch(`${y.url}/metrics`)).text();
    expect(metrics).toContain("parley_events_received_total 0");
    for (const ws of [onX, onY, xOwner]) ws.close();
  }, 30_000);
});
