// Shared pieces of the benchmarks: pinned child servers, load loops, percentiles, the server's CPU and RSS.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Subprocess } from "bun";

export const BUN = process.execPath;
export const ROOT = new URL("../..", import.meta.url).pathname;
export const SECRET = "bench-secret-".padEnd(40, "x");

/** On a 2-core box the server gets core 0 and the load generator (this process) core 1. */
export const TASKSET = ["/usr/bin/taskset", "/bin/taskset"].find((p) => existsSync(p));
export const SERVER_CORE = "0";
export const CLIENT_CORE = "1";

export interface ChildServer {
  url: string;
  proc: Subprocess;
  stop(): Promise<void>;
}

/** Every server started, killed if the run dies before stopping them. */
const children = new Set<Subprocess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Starts a server process, pinned to the server core, that prints Parley's JSON "url" log line or "URL <url>". */
export async function spawnServer(cmd: string[], env: Record<string, string> = {}): Promise<ChildServer> {
  const pinned = TASKSET ? [TASKSET, "-c", SERVER_CORE, ...cmd] : cmd;
  // Output goes to a file, not a pipe: draining a pipe of a line per request would cost the load generator's core.
  const logPath = `${tmpdir()}/parley-bench-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`;
  const proc = Bun.spawn(pinned, { cwd: ROOT, env: { ...process.env, ...env }, stdout: Bun.file(logPath), stderr: "inherit" });
  children.add(proc);
  void proc.exited.then(() => {
    children.delete(proc);
    rmSync(logPath, { force: true });
  });
  const deadline = Date.now() + 20_000;
  let output = "";
  while (Date.now() < deadline && proc.exitCode === null) {
    output = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    const match = /"url":"([^"]+)"|URL (\S+)/.exec(output);
    if (match) {
      return {
        url: (match[1] ?? match[2])!,
        proc,
        async stop() {
          proc.kill("SIGTERM");
          const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
          await proc.exited;
          clearTimeout(timer);
        },
      };
    }
    await Bun.sleep(5);
  }
  proc.kill("SIGKILL");
  throw new Error(`server did not start: ${cmd.join(" ")}\n${output}`);
}

export const BINARY = `${ROOT}dist/parley`;

/** Builds dist/parley from the current sources: the benchmarks measure what users run. */
export function buildBinary() {
  const build = Bun.spawnSync(["npm", "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("npm run build failed");
}

/** The compiled binary on a prepared data dir, with benchmark settings (known secret, no rate limits). */
export function spawnParley(dataDir: string, env: Record<string, string> = {}, binary = BINARY): Promise<ChildServer> {
  return spawnServer([binary, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    PARLEY_JWT_SECRET: SECRET,
    PARLEY_LOG_LEVEL: "info",
    PARLEY_RATE_LIMITS: "off",
    ...env,
  });
}

export function spawnBare(): Promise<ChildServer> {
  return spawnServer([BUN, "test/bench/bare-server.ts"]);
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The result of the median round by `figure` (the upper of the two middle ones for an even count). */
export const medianRound = <T>(results: T[], figure: (result: T) => number): T =>
  [...results].sort((x, y) => figure(x) - figure(y))[Math.floor(results.length / 2)]!;

/**
 * A ratio target measured as pairs: `rounds` rounds of `a` and `b` back to back, the order turned every round (ABBA),
 * so a drift in the machine's speed (this 2-core VM swings ±25% between runs) falls on both sides of each pair.
 * Returns every figure and the median of the rounds' a/b.
 */
export async function pairedRounds<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>, figure: (result: T) => number) {
  const as: T[] = [];
  const bs: T[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  const ratios = as.map((result, i) => figure(result) / figure(bs[i]!));
  return { a: as, b: bs, ratios, ratio: median(ratios), text: `${median(ratios).toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(", ")})` };
}

/** CPU seconds (user+system) and current/peak RSS of a process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssMiB: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMiB: kib("VmRSS") / 1024, peakRssMiB: kib("VmHWM") / 1024 };
}

/** Measures a server's CPU seconds and peak RSS over `work`. */
export async function measured<T>(server: ChildServer, work: () => Promise<T>): Promise<T & { server_cpu_seconds: number; server_peak_rss_mib: number }> {
  const before = processUsage(server.proc.pid).cpuSeconds;
  const result = await work();
  const after = processUsage(server.proc.pid);
  return { ...result, server_cpu_seconds: after.cpuSeconds - before, server_peak_rss_mib: after.peakRssMiB };
}

export interface LoadResult {
  requests: number;
  per_second: number;
  p50_ms: number;
  p99_ms: number;
}

/** Runs `request` from `concurrency` loops for `seconds`; each call's latency is recorded. */
export async function loadLoop(seconds: number, concurrency: number, request: (worker: number, i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        await request(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, per_second: latencies.length / elapsed, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99) };
}

/** wrk: PARLEY_BENCH_WRK names one outside the usual places (a copy unpacked from its package, say). */
export const WRK = [process.env.PARLEY_BENCH_WRK, "/usr/bin/wrk", "/usr/local/bin/wrk"].find((p) => p && existsSync(p));

export interface HttpLoad {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  seconds: number;
  connections: number;
  /** The status every answer must have. */
  expect: number;
}

/**
 * HTTP load from wrk when it is installed (a C client, far from being the bottleneck: Bun's fetch tops out
 * near 20k requests/s here), else from fetch loops. Either way answers other than `expect` fail the run.
 */
export async function httpLoad(load: HttpLoad): Promise<LoadResult & { generator: string }> {
  if (!WRK) {
    const result = await loadLoop(load.seconds, load.connections, async () => {
      const response = await fetch(load.url, { method: load.method ?? "GET", headers: load.headers, body: load.body });
      await response.arrayBuffer();
      if (response.status !== load.expect) throw new Error(`${load.url} answered ${response.status}`);
    });
    return { ...result, generator: "fetch" };
  }
  const script = [
    `wrk.method = ${JSON.stringify(load.method ?? "GET")}`,
    ...(load.body === undefined ? [] : [`wrk.body = ${JSON.stringify(load.body)}`]),
    ...Object.entries(load.headers ?? {}).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
    `response = function(status, headers, body) if status ~= ${load.expect} then wrong = (wrong or 0) + 1 end end`,
    `done = function(summary, latency, requests) io.write(string.format("WRONG %d\\nP50 %f\\nP99 %f\\n", wrong or 0, latency:percentile(50) / 1000, latency:percentile(99) / 1000)) end`,
  ].join("\n");
  const path = `${tmpdir()}/parley-wrk-${process.pid}-${Date.now()}.lua`;
  writeFileSync(path, script);
  try {
    const cmd = [WRK, "-t1", `-c${load.connections}`, `-d${load.seconds}s`, "-s", path, load.url];
    const proc = Bun.spawnSync(TASKSET ? [TASKSET, "-c", CLIENT_CORE, ...cmd] : cmd, { stdout: "pipe", stderr: "pipe" });
    const out = proc.stdout.toString();
    const number = (pattern: RegExp) => Number(pattern.exec(out)?.[1]);
    const wrong = number(/WRONG (\d+)/);
    if (proc.exitCode !== 0 || !Number.isFinite(wrong)) throw new Error(`wrk failed: ${out}${proc.stderr.toString()}`);
    if (wrong > 0) throw new Error(`${load.url}: ${wrong} answers were not ${load.expect}`);
    const requests = number(/(\d+) requests in/);
    return { requests, per_second: number(/Requests\/sec:\s+([\d.]+)/), p50_ms: number(/P50 ([\d.]+)/), p99_ms: number(/P99 ([\d.]+)/), generator: "wrk" };
  } finally {
    rmSync(path, { force: true });
  }
}

export function cpuModel(): string {
  return /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
}

/** The machine's cores (not this process's affinity, which taskset narrows to one). */
export function coreCount(): number {
  return readFileSync("/proc/cpuinfo", "utf8").match(/^processor\s*:/gm)?.length ?? navigator.hardwareConcurrency;
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a";

/** One scenario's outcome: rows of named figures, ready for the table and the JSON. */
export interface ScenarioResult {
  scenario: string;
  rows: Record<string, Record<string, number | string>>;
  notes: string[];
}

export interface ScenarioOptions {
  quick: boolean;
}
