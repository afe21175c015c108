// A stalled node (SIGSTOP for 10 s, then SIGCONT) in a two-node cluster (PostgreSQL, Redis, a data dir each): the
// other node keeps serving — sends, deliveries to its sockets, /healthz — and when the stalled one resumes, its
// sockets catch up with no gap or duplicate, and its clients that gave up on it resume with `since`, on the other
// node meanwhile or on it afterwards. Nothing acknowledged is lost.
import { afterAll, describe, expect, test } from "bun:test";
import { clusterNode, expectAllDelivered, expectAllStored, sendLoad, summary } from "../fault-helpers";
import { httpClient, registerUser } from "../helpers";
import { stop, type Server } from "../process-helpers";
import { postgresDatabaseFor } from "../test-database";
import { postgresProblem, redisProblem, skipWithout } from "../test-services";
import { connect, type TestSocket } from "../ws-helpers";

const skipped = skipWithout("stalled node tests", (await redisProblem()) ?? postgresProblem());

const STALL_MS = 10_000;

/** The highest seq a socket has received. */
const lastSeq = (socket: TestSocket) => Math.max(0, ...socket.frames.map((f) => f.seq ?? 0));

/** Whether a socket answers a ping within `ms` (what a client does to notice a dead server). */
async function answersPing(socket: TestSocket, ms: number): Promise<boolean> {
  const ref = `ping-${crypto.randomUUID()}`;
  socket.send({ type: "ping", ref });
  return socket
    .next((f) => f.ref === ref, ms)
    .then(
      () => true,
      () => false,
    );
}

describe.skipIf(skipped)("a stalled node", () => {
  const nodes: Server[] = [];
  afterAll(async () => {
    for (const node of nodes) {
      node.child.kill("SIGCONT");
      await stop(node).catch(() => undefined);
    }
  });

  test("SIGSTOP for 10 s: the other node keeps serving; on SIGCONT its sockets catch up, timed-out clients resume with since", async () => {
    const database = postgresDatabaseFor("stalled node cluster");
    const [a, b] = [await clusterNode(database), await clusterNode(database)] as [Server, Server];
    nodes.push(a, b);
    const [apiA, apiB] = [httpClient(a.url), httpClient(b.url)];
    const alice = await registerUser(apiA, "alice");
    const bob = await registerUser(apiB, "bob");
    const carol = await registerUser(apiB, "carol");
    const group = (await apiB("POST", "/api/groups/create/", { token: bob.access, body: { name: "one node stalls", members: [alice.id, carol.id] } })).body
      .id as number;
    // On A: alice stays connected through the stall; carol's client gives up on A and resumes on B; dave's client
    // gives up and resumes on A once it is back. On B: bob.
    const aliceOnA = await connect(a.url, alice.access);
    const carolOnA = await connect(a.url, carol.access);
    const daveOnA = await connect(a.url, alice.access);
    const bobOnB = await connect(b.url, bob.access);

    // Before the stall: both nodes take sends. A is idle when it stops (a node stopped inside a commit would hold
    // the event-log lock: see README, Faults).
    const warmUp = [sendLoad(apiA, alice, group, "alice-on-a"), sendLoad(apiB, bob, group, "bob-before")];
    for (const load of warmUp) await load.more(5);
    for (const load of warmUp) await load.stop();
    await expectAllDelivered(
      aliceOnA,
      warmUp.flatMap((load) => load.acknowledged),
      "alice on A before the stall",
    );

    a.child.kill("SIGSTOP");
    const stoppedAt = performance.now();
    const load = sendLoad(apiB, bob, group, "bob-during");
    // The clients on A notice: no pong.
    expect(await answersPing(carolOnA, 1_000)).toBe(false);
    expect(await answersPing(daveOnA, 200)).toBe(false);
    // They give up on A (closing their sockets, which A cannot answer now), keeping the last seq they had.
    const [carolGaveUpAt, daveGaveUpAt] = [lastSeq(carolOnA), lastSeq(daveOnA)];
    carolOnA.ws.close();
    daveOnA.ws.close();
    // Carol resumes on B with it: what she missed, then live.
    const carolOnB = await connect(b.url, carol.access, { since: carolGaveUpAt });
    // B keeps serving: sends acknowledged, delivered to its sockets, /healthz quick.
    const health: number[] = [];
    while (performance.now() - stoppedAt < STALL_MS) {
      const started = performance.now();
      expect((await apiB("GET", "/healthz")).status).toBe(200);
      health.push(performance.now() - started);
      await Bun.sleep(100);
    }
    await load.stop();
    const duringStall = load.acknowledged;
    expect(duringStall.length).toBeGreaterThan(20);
    expect(load.refusals).toEqual([]);
    await expectAllDelivered(bobOnB, duringStall, "bob on B during the stall");
    await expectAllDelivered(carolOnB, duringStall, "carol, resumed on B during the stall");
    // Nothing reached A's sockets while it was stopped.
    expect(aliceOnA.frames.filter((f) => duringStall.some((ack) => ack.id === f.data?.id))).toEqual([]);

    a.child.kill("SIGCONT");
    const resumedAt = performance.now();
    // A's sockets that stayed open catch up: every message sent on B during the stall, once each, in seq order.
    await expectAllDelivered(aliceOnA, duringStall, "alice on A after SIGCONT");
    const catchUpMs = performance.now() - resumedAt;
    // Dave's client gave up during the stall; it resumes on A with its last seq.
    const daveResumed = await connect(a.url, alice.access, { since: daveGaveUpAt });
    await expectAllDelivered(daveResumed, duringStall, "dave, resumed on A after SIGCONT");
    // A serves again: a send on A reaches B's sockets and A's own.
    const after = sendLoad(apiA, alice, group, "alice-after");
    await after.more(5);
    await after.stop();
    for (const [name, socket] of Object.entries({ aliceOnA, bobOnB, carolOnB, daveResumed })) await expectAllDelivered(socket, after.acknowledged, name);

    const acknowledged = [...warmUp, load, after].flatMap((l) => l.acknowledged);
    await expectAllStored(database, group, acknowledged);
    await expectAllDelivered(bobOnB, acknowledged, "bob on B, all of it");
    await expectAllDelivered(aliceOnA, acknowledged, "alice on A, all of it");
    console.log(
      `stalled node: ${STALL_MS / 1000} s SIGSTOP; the other node acknowledged ${duringStall.length} sends meanwhile, /healthz ${JSON.stringify(summary(health))} ms; ` +
        `the stalled node's open sockets caught up ${Math.round(catchUpMs)} ms after SIGCONT; ${acknowledged.length} acknowledged, none lost`,
    );
    for (const socket of [aliceOnA, bobOnB, carolOnB, daveResumed]) await socket.close();
  }, 45_000);
});
