// History: the newest 50 messages of a conversation holding 1k and 1M messages, over HTTP, beside raw
// bun:sqlite reads of the same rows and the load generator's own ceiling (a bare Bun server, same bytes).
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, httpLoad, measured, medianRound, pairedRounds, spawnBare, spawnParley, type ScenarioOptions, type ScenarioResult } from "../lib";

export async function history({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = quick ? 3 : 6;
  const rounds = quick ? 2 : 4;
  const pairSeconds = quick ? 2 : 3;
  const deep = 1_000_000;
  const concurrency = 32;
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-history-"));
  try {
    const [deepId, shallowId] = await fillDataDir(dataDir, {
      users: 2,
      groups: [
        { members: 2, messages: deep },
        { members: 2, messages: 1_000 },
      ],
    });
    const token = (await createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 }).issue("access", 1, 0)).token;
    const headers = { authorization: `Bearer ${token}` };
    const server = await spawnParley(dataDir);
    const read = async (path: string) => {
      await httpLoad({ url: `${server.url}${path}`, headers, seconds: 1, connections: concurrency, expect: 200 }); // warm-up, not counted
      return measured(server, () => httpLoad({ url: `${server.url}${path}`, headers, seconds, connections: concurrency, expect: 200 }));
    };
    const bytes = (await (await fetch(`${server.url}/api/messages/${shallowId}/?limit=50`, { headers })).arrayBuffer()).byteLength;
    // The 1M/1k target: both newest pages in paired rounds (each cached until the conversation changes, so equal work).
    const page = (id: number) => () =>
      measured(server, () =>
        httpLoad({ url: `${server.url}/api/messages/${id}/?limit=50`, headers, seconds: pairSeconds, connections: concurrency, expect: 200 }),
      );
    const warm = async (id: number) =>
      httpLoad({ url: `${server.url}/api/messages/${id}/?limit=50`, headers, seconds: 1, connections: concurrency, expect: 200 });
    // Throughput still climbs for seconds after a start (the JIT): both warmed in turn, then as many rounds of each order.
    for (let i = 0; i < 3; i++) for (const id of [shallowId!, deepId!]) await warm(id);
    const pairs = await pairedRounds(rounds, page(deepId!), page(shallowId!), (r) => r.per_second);
    const shallow = medianRound(pairs.b, (r) => r.per_second);
    const deepResult = medianRound(pairs.a, (r) => r.per_second);
    // A page read through a cursor half a million messages deep: never cached, an index walk every time.
    const [middle] = (await (await fetch(`${server.url}/api/messages/${deepId}/?limit=1`, { headers })).json()) as { id: number }[];
    const cursor = await read(`/api/messages/${deepId}/?limit=50&before=${middle!.id - deep / 2}`);
    await server.stop();

    const bare = await spawnBare();
    const ceiling = await measured(bare, () => httpLoad({ url: `${bare.url}/static?bytes=${bytes}`, seconds, connections: concurrency, expect: 200 }));
    await bare.stop();

    const db = new Database(join(dataDir, "parley.db"), { readonly: true });
    const statement = db.prepare(
      "SELECT m.*, u.username FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.conversation_id = ? ORDER BY m.id DESC LIMIT 50",
    );
    const raw = (id: number) => {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 1500) for (let i = 0; i < 100; i++, n++) statement.all(id);
      return n / ((performance.now() - t0) / 1000);
    };
    const rawShallow = raw(shallowId!);
    const rawDeep = raw(deepId!);
    db.close();

    const row = (r: typeof shallow) => ({
      "req/s": r.per_second,
      "p50 ms": r.p50_ms,
      "p99 ms": r.p99_ms,
      "server CPU s": r.server_cpu_seconds,
      "peak RSS MiB": r.server_peak_rss_mib,
    });
    return {
      scenario: "history",
      rows: {
        "Parley, newest 50 of 1k": row(shallow),
        "Parley, newest 50 of 1M": row(deepResult),
        "Parley, newest 50: 1M / 1k (median of paired rounds)": { "req/s": pairs.ratio },
        "Parley, 50 before a cursor 500k deep in 1M (never cached)": row(cursor),
        "client ceiling (bare Bun, same bytes)": row(ceiling),
        "raw bun:sqlite, 1k (in-process)": { "req/s": rawShallow },
        "raw bun:sqlite, 1M (in-process)": { "req/s": rawDeep },
      },
      notes: [
        `${concurrency} concurrent HTTP/1.1 keep-alive connections from ${shallow.generator}, ${seconds} s each, ${bytes} bytes per answer.`,
        `Newest 50, 1M / 1k: ${pairs.text}, ${rounds} rounds of ${pairSeconds} s each way, the order turned each round (the rows: the median round of each); Parley at 1M is ${((deepResult.per_second / ceiling.per_second) * 100).toFixed(0)}% of the client ceiling.`,
        "The newest page of a conversation is kept serialized until the conversation changes (a send, an edit, a membership change); the cursor row shows an uncached read.",
      ],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
