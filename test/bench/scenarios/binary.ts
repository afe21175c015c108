// Binary: the size of dist/parley and its cold start, from exec to the first 200 on /healthz.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, TASKSET, buildBinary, coreCount, percentile, type ScenarioOptions, type ScenarioResult } from "../lib";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function coldStart(binary: string, dataDir: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const cmd = [binary, "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir];
  // On every core (not the load generator's one, which children would inherit): a start-up uses Bun's
  // helper threads (JIT, GC), as it would on any real machine.
  const proc = Bun.spawn(TASKSET ? [TASKSET, "-c", `0-${coreCount() - 1}`, ...cmd] : cmd, {
    env: { ...process.env, PARLEY_LOG_LEVEL: "warn" },
    stdout: "ignore",
    stderr: "ignore",
  });
  let elapsed = NaN;
  while (performance.now() - t0 < 10_000) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.status === 200) {
        elapsed = performance.now() - t0;
        break;
      }
    } catch {
      await Bun.sleep(1);
    }
  }
  proc.kill("SIGTERM");
  await proc.exited;
  return elapsed;
}

export async function binary({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const path = BINARY;
  if (!existsSync(path)) buildBinary();
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-binary-"));
  try {
    const first = await coldStart(path, dataDir); // creates and migrates the database
    const runs: number[] = [];
    for (let i = 0; i < (quick ? 5 : 15); i++) runs.push(await coldStart(path, dataDir));
    runs.sort((a, b) => a - b);
    return {
      scenario: "binary",
      rows: {
        "dist/parley": {
          "size MiB": statSync(path).size / 1024 / 1024,
          "first start ms (new data dir)": first,
          "cold start p50 ms": percentile(runs, 50),
          "cold start max ms": runs.at(-1)!,
        },
      },
      notes: [`Exec to the first 200 on /healthz, ${runs.length} restarts on an existing data dir; the first start also creates and migrates the database.`],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
