// Send: many users sending into their conversations over WebSocket and over REST; committed messages per
// second and latency to the acknowledgement (every ack follows its commit), under both durability modes,
// beside raw bun:sqlite inserts (one transaction each, and batched).
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, httpLoad, measured, percentile, spawnBare, spawnParley, type ChildServer, type ScenarioOptions, type ScenarioResult } from "../lib";

const USERS = 100;

/** One open /ws socket per token. */
export function openSockets(server: ChildServer, tokens: string[]): Promise<WebSocket[]> {
  return Promise.all(
    tokens.map(
      (token) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws?token=${token}`);
          ws.onopen = () => resolve(ws);
          ws.onerror = () => reject(new Error("connect failed"));
        }),
    ),
  );
}

export async function wsSends(server: ChildServer, tokens: string[], groupOf: (user: number) => number, seconds: number, window = 8) {
  const latencies: number[] = [];
  const sockets = await openSockets(server, tokens);
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  let acked = 0;
  await Promise.all(
    sockets.map(
      (ws, user) =>
        new Promise<void>((resolve) => {
          const sentAt = new Map<number, number>();
          let next = 0;
          let inFlight = 0;
          const pump = () => {
            while (inFlight < window && performance.now() < end) {
              const ref = next++;
              sentAt.set(ref, performance.now());
              inFlight++;
              ws.send(`{"type":"message.send","ref":${ref},"conversation_id":${groupOf(user + 1)},"message":"benchmark send ${ref}"}`);
            }
            if (inFlight === 0) resolve();
          };
          ws.onmessage = (event) => {
            const data = event.data as string;
            if (!data.startsWith('{"type":"ack"')) return;
            const ref = Number(/"ref":(\d+)}$/.exec(data)?.[1]);
            latencies.push(performance.now() - sentAt.get(ref)!);
            sentAt.delete(ref);
            inFlight--;
            acked++;
            pump();
          };
          pump();
        }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const ws of sockets) ws.close();
  latencies.sort((a, b) => a - b);
  return { per_second: acked / elapsed, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99) };
}

/**
 * One user sending into one conversation on 64 connections. (One user per connection would need a script per user;
 * over REST every request is authenticated and authorized the same way, so it is the same work.)
 */
export function restSends(server: ChildServer, token: string, conversationId: number, seconds: number) {
  return httpLoad({
    url: `${server.url}/api/messages/${conversationId}/send/`,
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: '{"message":"benchmark send over REST"}',
    seconds,
    connections: 64,
    expect: 201,
  });
}

function rawInserts(path: string, synchronous: "NORMAL" | "FULL", batch: number) {
  const db = new Database(path);
  db.run("PRAGMA journal_mode = WAL");
  db.run(`PRAGMA synchronous = ${synchronous}`);
  db.run("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, conversation_id INTEGER, body TEXT, created_at INTEGER)");
  const insert = db.prepare("INSERT INTO t (conversation_id, body, created_at) VALUES (?, ?, ?)");
  const write = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run(1, "benchmark send", Date.now());
  });
  let rows = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1500) {
    write(batch);
    rows += batch;
  }
  const perSecond = rows / ((performance.now() - t0) / 1000);
  db.close();
  return perSecond;
}

export async function send({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = quick ? 3 : 6;
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-send-"));
  const rows: ScenarioResult["rows"] = {};
  try {
    const groups = await fillDataDir(dataDir, { users: USERS, groups: Array.from({ length: USERS / 2 }, (_, i) => ({ members: 2, firstMember: 2 * i + 1 })) });
    const groupOf = (user: number) => groups[Math.floor((user - 1) / 2)]!;
    const issuer = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
    const tokens = await Promise.all(Array.from({ length: USERS }, async (_, i) => (await issuer.issue("access", i + 1, 0)).token));

    for (const durability of quick ? ["normal"] : ["normal", "full"]) {
      const server = await spawnParley(dataDir, { PARLEY_DURABILITY: durability });
      const ws = await measured(server, () => wsSends(server, tokens, groupOf, seconds));
      const rest = await measured(server, () => restSends(server, tokens[0]!, groupOf(1), seconds));
      await server.stop();
      const row = (r: { per_second: number; p50_ms: number; p99_ms: number; server_cpu_seconds: number; server_peak_rss_mib: number }) => ({
        "messages/s": r.per_second,
        "p50 ms": r.p50_ms,
        "p99 ms": r.p99_ms,
        "server CPU s": r.server_cpu_seconds,
        "peak RSS MiB": r.server_peak_rss_mib,
      });
      rows[`Parley over WebSocket (durability ${durability})`] = row(ws);
      rows[`Parley over REST (durability ${durability})`] = row(rest);
    }
    const bare = await spawnBare();
    const ceiling = await measured(bare, () =>
      httpLoad({
        url: `${bare.url}/created?bytes=300`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"message":"benchmark send over REST"}',
        seconds,
        connections: 64,
        expect: 201,
      }),
    );
    await bare.stop();
    rows["REST client ceiling (bare Bun, 201 + same bytes)"] = {
      "messages/s": ceiling.per_second,
      "p50 ms": ceiling.p50_ms,
      "p99 ms": ceiling.p99_ms,
      "server CPU s": ceiling.server_cpu_seconds,
      "peak RSS MiB": ceiling.server_peak_rss_mib,
    };
    const rawPath = join(dataDir, "raw.db");
    rows["raw bun:sqlite, one insert per commit (NORMAL)"] = { "messages/s": rawInserts(rawPath, "NORMAL", 1) };
    rows["raw bun:sqlite, 100 inserts per commit (NORMAL)"] = { "messages/s": rawInserts(rawPath, "NORMAL", 100) };
    if (!quick) {
      rows["raw bun:sqlite, one insert per commit (FULL)"] = { "messages/s": rawInserts(rawPath, "FULL", 1) };
      rows["raw bun:sqlite, 100 inserts per commit (FULL)"] = { "messages/s": rawInserts(rawPath, "FULL", 100) };
    }
    return {
      scenario: "send",
      rows,
      notes: [
        `${USERS} users in ${USERS / 2} two-member groups; WebSocket: every user keeps 8 sends in flight; REST: 64 connections (wrk when installed, else fetch). ${seconds} s each.`,
        "Each message is acknowledged only after its transaction (message row + event-log row) has committed; each is also delivered to both members' sockets.",
      ],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
