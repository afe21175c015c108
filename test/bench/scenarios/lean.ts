// Sends into a small room against the lean durable server (lean-server.ts: the same durable work and frame bytes,
// nothing else): ten members of one group each keeping 8 sends in flight over /ws, then REST sends on 64 connections.
// Parley and the lean server run back to back, each on a fresh copy of the same data, for several rounds; the ratios
// are the medians of each round's ratio.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { BUN, SECRET, measured, median, spawnParley, spawnServer, type ChildServer, type ScenarioOptions, type ScenarioResult } from "../lib";
import { restSends, wsSends } from "./send";

const MEMBERS = 10;

export async function lean({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = quick ? 3 : 5;
  const rounds = Number(process.env.PARLEY_BENCH_ROUNDS ?? (quick ? 1 : 3));
  const issuer = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
  const tokens = await Promise.all(Array.from({ length: MEMBERS }, async (_, i) => (await issuer.issue("access", i + 1, 0)).token));
  const figures: Record<string, { per_second: number[]; p50_ms: number[]; p99_ms: number[]; cpu: number[]; rss: number[]; cpu_us: number[] }> = {};
  const record = (name: string, r: { per_second: number; p50_ms: number; p99_ms: number; server_cpu_seconds: number; server_peak_rss_mib: number }) => {
    const f = (figures[name] ??= { per_second: [], p50_ms: [], p99_ms: [], cpu: [], rss: [], cpu_us: [] });
    f.per_second.push(r.per_second);
    f.p50_ms.push(r.p50_ms);
    f.p99_ms.push(r.p99_ms);
    f.cpu.push(r.server_cpu_seconds);
    f.rss.push(r.server_peak_rss_mib);
    f.cpu_us.push((r.server_cpu_seconds / (r.per_second * seconds)) * 1e6);
  };
  const servers: Array<{ label: string; spawn: (dataDir: string) => Promise<ChildServer> }> = [
    { label: "Parley", spawn: (dataDir) => spawnParley(dataDir) },
    { label: "lean server", spawn: (dataDir) => spawnServer([BUN, "test/bench/lean-server.ts", dataDir], { PARLEY_JWT_SECRET: SECRET }) },
  ];
  for (let round = 0; round < rounds; round++) {
    for (const { label, spawn } of servers) {
      const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-lean-"));
      try {
        const [room] = await fillDataDir(dataDir, { users: MEMBERS, groups: [{ members: MEMBERS }] });
        const server = await spawn(dataDir);
        record(`${label}, room of ${MEMBERS} over WebSocket`, await measured(server, () => wsSends(server, tokens, () => room!, seconds)));
        record(`${label}, REST sends`, await measured(server, () => restSends(server, tokens[0]!, room!, seconds)));
        await server.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }
  const rows: ScenarioResult["rows"] = {};
  for (const [name, f] of Object.entries(figures))
    rows[name] = {
      "messages/s": median(f.per_second),
      "p50 ms": median(f.p50_ms),
      "p99 ms": median(f.p99_ms),
      "server CPU s": median(f.cpu),
      "CPU µs/message": median(f.cpu_us),
      "peak RSS MiB": median(f.rss),
    };
  /** Parley's figure over the lean server's in each round (run back to back); CPU per message the other way up (higher is better for Parley). */
  const roundRatios = (what: string, key: "per_second" | "rss" | "cpu_us") => {
    const parley = figures[`Parley, ${what}`]![key];
    const base = figures[`lean server, ${what}`]![key];
    return parley.map((value, i) => (key === "cpu_us" ? base[i]! / value : value / base[i]!));
  };
  const ratios = (what: string, key: "per_second" | "rss" | "cpu_us") => {
    const each = roundRatios(what, key);
    return `${median(each).toFixed(2)} (rounds: ${each.map((r) => r.toFixed(2)).join(", ")})`;
  };
  // The targets read these: the median of the rounds' ratios, each of a pair run back to back (not the ratio of two
  // medians, which may come from different rounds while the machine's speed drifts).
  for (const what of [`room of ${MEMBERS} over WebSocket`, "REST sends"])
    rows[`Parley / lean server, ${what}`] = {
      "messages/s": median(roundRatios(what, "per_second")),
      "CPU µs/message": median(roundRatios(what, "cpu_us")),
      "peak RSS MiB": median(roundRatios(what, "rss")),
    };
  return {
    scenario: "lean",
    rows,
    notes: [
      `Parley / lean server, committed messages/s, room of ${MEMBERS} over WebSocket: ${ratios(`room of ${MEMBERS} over WebSocket`, "per_second")}; peak RSS: ${ratios(`room of ${MEMBERS} over WebSocket`, "rss")}.`,
      `Parley / lean server, REST sends: ${ratios("REST sends", "per_second")}.`,
      `Lean server's CPU per message / Parley's (the throughput ratio a saturated server core would give; robust when other work shares the machine): WebSocket ${ratios(`room of ${MEMBERS} over WebSocket`, "cpu_us")}, REST ${ratios("REST sends", "cpu_us")}.`,
      `${MEMBERS} members of one group, each keeping 8 sends in flight over /ws (every message delivered to all ${MEMBERS}); REST: one member on 64 connections (wrk when installed). ${seconds} s each, ${rounds} round(s), Parley and the lean server back to back on fresh copies of the same data; medians.`,
      "The lean server (test/bench/lean-server.ts): HS256 token check, message and event rows inserted in one SQLite transaction per batch (same PRAGMAs as PARLEY_DURABILITY=normal), ack or 201 after the commit, the same message.created frame published to the room's topic; no membership check, limits or idempotency.",
    ],
  };
}
