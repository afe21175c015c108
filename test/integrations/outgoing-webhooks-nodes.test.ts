// Two nodes on one PostgreSQL database work the same delivery queue: each event reaches the receiver exactly once,
// in order (a lease on the webhook's row lets one node at a time deliver). On the PostgreSQL run only.
import { afterAll, describe, expect, test } from "bun:test";
import { createGroup, sendText, waitFor } from "../chat-helpers";
import { httpClient, registerUser, tempDir, testConfig } from "../helpers";
import { startServer } from "../../src/server";
import { onPostgres } from "../test-database";

describe.skipIf(!onPostgres)("outgoing webhooks on two nodes", () => {
  test("thirty messages sent through both nodes are delivered once each, in order", async () => {
    const seqs: number[] = [];
    const deliveries: string[] = [];
    const sink = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        deliveries.push(request.headers.get("x-parley-delivery")!);
        seqs.push((await request.json()).seq);
        return new Response(null, { status: 204 });
      },
    });
    afterAll(() => sink.stop(true));
    const config = testConfig({ dataDir: tempDir(), webhookAllowPrivate: true, webhookRetryMs: 50 });
    const a = await startServer(config);
    const b = await startServer({ ...config, port: 0 });
    afterAll(async () => {
      await a.stop();
      await b.stop();
    });
    const [apiA, apiB] = [httpClient(a.url), httpClient(b.url)];
    const owner = await registerUser(apiA, "nodes");
    const group = await createGroup(apiA, owner);
    const made = await apiA("POST", `/api/conversations/${group.id}/outgoing-webhooks/`, {
      token: owner.access,
      body: { url: `http://127.0.0.1:${sink.port}/`, events: ["message.created"] },
    });
    expect(made.status).toBe(201);
    for (let i = 0; i < 30; i++) await sendText(i % 2 ? apiB : apiA, owner, group.id, `m${i}`);
    expect(await waitFor(() => seqs.length >= 30, 15_000)).toBe(true);
    await Bun.sleep(500); // both nodes poll every 50 ms: a duplicate would come by now
    expect(seqs.length).toBe(30);
    expect(new Set(deliveries).size).toBe(30);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  }, 30_000);
});
