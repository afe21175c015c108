// What the fault tests share: a cluster of real Parley processes on one PostgreSQL and one Redis (a data dir each), a
// steady write load whose clients retry with their client_id until acknowledged, and the check every fault test ends
// with — nothing acknowledged was lost: every acknowledged message is in the database once, and every socket that
// stayed open (or resumed with `since`) got each once, in seq order.
import { SQL } from "bun";
import { expect } from "bun:test";
import { waitFor } from "./chat-helpers";
import { httpClient, tempDir, type Api, type TestUser } from "./helpers";
import { serve, type Server } from "./process-helpers";
import { REDIS_URL } from "./test-services";
import type { Frame, TestSocket } from "./ws-helpers";

/** A node of a cluster on `databaseUrl`, with Redis, its own data dir, rate limits off, once its Redis link is up. */
export async function clusterNode(databaseUrl: string, env: Record<string, string> = {}): Promise<Server> {
  const node = await serve(tempDir(), {
    PARLEY_DATABASE_URL: databaseUrl,
    PARLEY_DATABASE_POOL: "4",
    PARLEY_REDIS_URL: REDIS_URL,
    PARLEY_RATE_LIMITS: "off",
    ...env,
  });
  expect(await waitFor(async () => (await httpClient(node.url)("GET", "/readyz")).body?.redis === "up", 10_000)).toBe(true);
  return node;
}

export interface Acknowledged {
  id: number;
  client_id: string;
  sender: string;
}

/** What a load's clients met: every refusal's status, code, Retry-After and how long it took to come. */
export interface Refusal {
  status: number;
  code: unknown;
  retryAfter: string | null;
  ms: number;
}

/**
 * A client sending to `group` one message after another, each with its own client_id, retrying a refused one (with
 * the same client_id) until it is acknowledged (201): what a well-behaved client does when told Retry-After. It waits
 * `retryMs` between tries rather than the whole Retry-After, so the test sees the moment service returns.
 */
export function sendLoad(api: Api, user: TestUser, group: number, label: string, { retryMs = 100 } = {}) {
  const acknowledged: Acknowledged[] = [];
  const refusals: Refusal[] = [];
  let stopped = false;
  const running = (async () => {
    for (let i = 0; !stopped; i++) {
      const client_id = `${label}-${i}`;
      for (;;) {
        const started = performance.now();
        const response = await api("POST", `/api/messages/${group}/send/`, { token: user.access, body: { message: `${label} #${i}`, client_id } });
        if (response.status === 201) {
          acknowledged.push({ id: response.body.id, client_id, sender: label });
          break;
        }
        refusals.push({ status: response.status, code: response.body?.code, retryAfter: response.headers.get("retry-after"), ms: performance.now() - started });
        await Bun.sleep(retryMs);
      }
    }
  })();
  return {
    acknowledged,
    refusals,
    /** Waits until `count` more messages are acknowledged from now on. */
    async more(count: number, timeoutMs = 15_000) {
      const target = acknowledged.length + count;
      expect(await waitFor(() => acknowledged.length >= target, timeoutMs)).toBe(true);
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** The message ids a socket received in message.created frames, checking seqs only grow. */
export function deliveredIds(socket: TestSocket): number[] {
  const frames = socket.frames.filter((f: Frame) => f.type === "message.created");
  const seqs = frames.map((f) => f.seq!);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
  return frames.map((f) => f.data.id as number);
}

/**
 * Every acknowledged message reached `socket` exactly once, and each sender's messages in the order they were
 * acknowledged (waiting up to a few seconds for the last ones). `after`: only those acknowledged after this many.
 */
export async function expectAllDelivered(socket: TestSocket, acknowledged: Acknowledged[], what: string) {
  const wanted = new Set(acknowledged.map((a) => a.id));
  await waitFor(() => deliveredIds(socket).filter((id) => wanted.has(id)).length >= wanted.size, 10_000);
  const got = deliveredIds(socket).filter((id) => wanted.has(id));
  expect(got.length, `${what}: delivered count`).toBe(wanted.size);
  expect(new Set(got).size, `${what}: duplicates`).toBe(got.length);
  for (const sender of new Set(acknowledged.map((a) => a.sender))) {
    const order = acknowledged.filter((a) => a.sender === sender).map((a) => a.id);
    const mine = new Set(order);
    expect(
      got.filter((id) => mine.has(id)),
      `${what}: ${sender}'s order`,
    ).toEqual(order);
  }
}

/** Every acknowledged message is stored exactly once (no retry stored twice), with its client_id. */
export async function expectAllStored(databaseUrl: string, group: number, acknowledged: Acknowledged[]) {
  const client = new SQL({ url: databaseUrl, max: 1 });
  try {
    const rows = (await client`select id, client_id from messages where conversation_id = ${group} order by id`) as { id: number; client_id: string }[];
    const byClientId = new Map<string, number[]>();
    for (const row of rows) byClientId.set(row.client_id, [...(byClientId.get(row.client_id) ?? []), Number(row.id)]);
    for (const { id, client_id } of acknowledged) expect(byClientId.get(client_id), client_id).toEqual([id]);
    return rows.length;
  } finally {
    await client.close();
  }
}

/** Percentiles of a list of numbers (milliseconds), rounded. */
export function summary(values: number[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0) };
}
