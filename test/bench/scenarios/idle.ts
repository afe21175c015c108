// Idle sockets: 10,000 authenticated /ws connections held open; server RSS before and after, bytes per
// connection and the time to connect them all, beside the bare Bun server holding as many.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, processUsage, spawnBare, spawnParley, type ChildServer, type ScenarioOptions, type ScenarioResult } from "../lib";

async function hold(server: ChildServer, urls: string[]) {
  await Bun.sleep(500);
  const before = processUsage(server.proc.pid);
  const sockets: WebSocket[] = [];
  let failures = 0;
  const t0 = performance.now();
  for (let i = 0; i < urls.length; i += 250) {
    const batch = await Promise.all(
      urls.slice(i, i + 250).map(
        (url) =>
          new Promise<WebSocket | null>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve(ws);
            ws.onerror = () => resolve(null);
          }),
      ),
    );
    for (const ws of batch) ws ? sockets.push(ws) : failures++;
  }
  const connectSeconds = (performance.now() - t0) / 1000;
  await Bun.sleep(1500);
  const after = processUsage(server.proc.pid);
  for (const ws of sockets) ws.close();
  await Bun.sleep(300);
  return {
    connected: sockets.length,
    failures,
    connect_seconds: connectSeconds,
    idle_rss_mib: before.rssMiB,
    loaded_rss_mib: after.rssMiB,
    bytes_per_connection: ((after.rssMiB - before.rssMiB) * 1024 * 1024) / Math.max(1, sockets.length),
  };
}

export async function idle({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const count = quick ? 5_000 : 10_000;
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-idle-"));
  try {
    await fillDataDir(dataDir, { users: count, groups: [] });
    const issuer = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
    const tokens = await Promise.all(Array.from({ length: count }, async (_, i) => (await issuer.issue("access", i + 1, 0)).token));

    const bare = await spawnBare();
    const bareResult = await hold(
      bare,
      tokens.map(() => `${bare.url.replace("http", "ws")}/?room=idle`),
    );
    await bare.stop();
    const parley = await spawnParley(dataDir);
    const parleyResult = await hold(
      parley,
      tokens.map((token) => `${parley.url.replace("http", "ws")}/ws?token=${token}`),
    );
    await parley.stop();

    const row = (r: typeof bareResult) => ({
      sockets: r.connected,
      failures: r.failures,
      "connect all s": r.connect_seconds,
      "idle RSS MiB": r.idle_rss_mib,
      "RSS with sockets MiB": r.loaded_rss_mib,
      "bytes/socket": r.bytes_per_connection,
    });
    return {
      scenario: "idle",
      rows: { "bare Bun pub/sub": row(bareResult), "Parley (authenticated, subscribed)": row(parleyResult) },
      notes: [`${count} sockets opened 250 at a time and held 1.5 s; RSS from /proc (the server process only).`],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
