// Two nodes: the cross-node delivery latency. Two Parley processes share one data dir and the local Redis; a member
// on node A sends over WebSocket at a steady rate, and the same message's arrival is timed on a socket on node A
// (same node) and on a socket on node B (through Redis). Skipped when no Redis answers on 127.0.0.1:6379.
import { RedisClient } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, percentile, spawnParley, type ScenarioOptions, type ScenarioResult } from "../lib";

export const REDIS_URL = "redis://127.0.0.1:6379";

export async function redisAnswers(): Promise<boolean> {
  const client = new RedisClient(REDIS_URL, { autoReconnect: false, connectionTimeout: 1_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`connect failed: ${url}`));
  });
}

export async function nodes({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  if (!(await redisAnswers())) return { scenario: "nodes", rows: {}, notes: [`skipped: no Redis at ${REDIS_URL}`] };
  const seconds = quick ? 3 : 6;
  const rate = 200; // messages per second: a steady, sustainable load, so latency is not queueing
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-nodes-"));
  try {
    const [group] = await fillDataDir(dataDir, { users: 3, groups: [{ members: 3 }] });
    return {
      scenario: "nodes",
      rows: await crossNodeLatency(dataDir, { PARLEY_REDIS_URL: REDIS_URL }, group!, rate, seconds),
      notes: [
        `Two Parley processes on one data dir (SQLite WAL) and the local Redis; ${rate * seconds} messages sent over WebSocket on A at ${rate}/s; send to arrival, both sockets in the client process.`,
        "Both nodes run on the server core. The same on PostgreSQL: the postgres scenario.",
      ],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Two nodes A and B with `env`; users 1 and 2 on A, user 3 on B, all in `group`: send to arrival on the same node and
 * on the other one, at a steady `rate` (so latency is not queueing).
 */
export async function crossNodeLatency(
  dataDir: string,
  env: Record<string, string>,
  group: number,
  rate: number,
  seconds: number,
): Promise<ScenarioResult["rows"]> {
  {
    const tokens = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
    const token = async (user: number) => (await tokens.issue("access", user, 0)).token;
    const a = await spawnParley(dataDir, env);
    const b = await spawnParley(dataDir, env);
    for (const server of [a, b]) {
      for (let i = 0; i < 100 && ((await (await fetch(`${server.url}/readyz`)).json()) as { redis?: string }).redis !== "up"; i++) await Bun.sleep(50);
    }
    const wsUrl = (url: string, t: string) => `${url.replace("http", "ws")}/ws?token=${t}`;
    const sender = await open(wsUrl(a.url, await token(1)));
    const sameNode = await open(wsUrl(a.url, await token(2)));
    const otherNode = await open(wsUrl(b.url, await token(3)));
    const sentAt = new Map<string, number>();
    const latencies = { same: [] as number[], other: [] as number[] };
    const listen = (ws: WebSocket, into: number[]) => {
      ws.onmessage = (event) => {
        const frame = JSON.parse(event.data as string) as { type: string; data?: { message?: string } };
        if (frame.type !== "message.created") return;
        const at = sentAt.get(frame.data!.message!);
        if (at !== undefined) into.push(performance.now() - at);
      };
    };
    listen(sameNode, latencies.same);
    listen(otherNode, latencies.other);
    await Bun.sleep(300);
    const total = rate * seconds;
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      const text = `cross-node ${i}`;
      sentAt.set(text, performance.now());
      sender.send(JSON.stringify({ type: "message.send", conversation_id: group, message: text }));
    }
    const deadline = performance.now() + 5_000;
    while ((latencies.same.length < total || latencies.other.length < total) && performance.now() < deadline) await Bun.sleep(20);
    for (const ws of [sender, sameNode, otherNode]) ws.close();
    await a.stop();
    await b.stop();
    const row = (values: number[]) => {
      const sorted = [...values].sort((x, y) => x - y);
      return { delivered: values.length, "p50 ms": percentile(sorted, 50), "p99 ms": percentile(sorted, 99), "max ms": sorted.at(-1) ?? Number.NaN };
    };
    return { "same node (A → A)": row(latencies.same), "other node (A → Redis → B)": row(latencies.other) };
  }
}
