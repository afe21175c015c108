// Login: logins per second at the default password-hashing cost (argon2id, 19 MiB, 2 iterations — OWASP's
// minimum), beside Bun.password.verify alone at the same cost.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config";
import { loadLoop, measured, spawnParley, type ScenarioOptions, type ScenarioResult } from "../lib";

export async function login({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = quick ? 3 : 5;
  const defaults = loadConfig([], {});
  const cost = { memoryCost: defaults.passwordMemoryKib, timeCost: defaults.passwordTimeCost };
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-login-"));
  try {
    const server = await spawnParley(dataDir, { PARLEY_PASSWORD_MEMORY_KIB: "", PARLEY_PASSWORD_TIME_COST: "" });
    const users = 4;
    for (let i = 0; i < users; i++) {
      const response = await fetch(`${server.url}/api/register/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: `login${i}`, email: `login${i}@bench.test`, password: "benchmark password" }),
      });
      if (response.status !== 201) throw new Error(`register answered ${response.status}`);
    }
    const result = await measured(server, () =>
      loadLoop(seconds, 4, async (worker) => {
        const response = await fetch(`${server.url}/api/login/`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: `login${worker % users}@bench.test`, password: "benchmark password" }),
        });
        if (response.status !== 200) throw new Error(`login answered ${response.status}`);
        await response.arrayBuffer();
      }),
    );
    await server.stop();

    const hash = await Bun.password.hash("benchmark password", { algorithm: "argon2id", ...cost });
    let verifies = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1500) {
      await Bun.password.verify("benchmark password", hash);
      verifies++;
    }
    const verifyRate = verifies / ((performance.now() - t0) / 1000);
    return {
      scenario: "login",
      rows: {
        "Parley POST /api/login/": {
          "logins/s": result.per_second,
          "p50 ms": result.p50_ms,
          "p99 ms": result.p99_ms,
          "server CPU s": result.server_cpu_seconds,
          "peak RSS MiB": result.server_peak_rss_mib,
        },
        "Bun.password.verify alone (one core)": { "logins/s": verifyRate },
      },
      notes: [
        `argon2id with memoryCost ${cost.memoryCost} KiB and timeCost ${cost.timeCost} (PARLEY_PASSWORD_MEMORY_KIB / PARLEY_PASSWORD_TIME_COST); 4 concurrent clients.`,
      ],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
