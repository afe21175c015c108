// Profiles Parley's send path from source on a fresh room of 10 (as the lean scenario does):
//   bun test/bench/profile-send.ts ws|rest [seconds] [rate]
// runs the server under `bun --cpu-prof-md` (PARLEY_PROFILE=off: without) and writes the profile to test/bench/results/.
// With a rate (messages/s, WebSocket only) the sends go at that steady pace instead of 8 in flight per member: the
// server's CPU per message is then comparable between two versions even while other work shares the machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../src/modules/auth/tokens";
import { fillDataDir } from "./fill";
import { BUN, ROOT, SECRET, measured, spawnServer, type ChildServer } from "./lib";
import { openSockets, restSends, wsSends } from "./scenarios/send";

const kind = process.argv[2] ?? "ws";
const seconds = Number(process.argv[3] ?? 5);
const rate = Number(process.argv[4] ?? 0);
const dataDir = mkdtempSync(join(tmpdir(), "parley-profile-"));
const [room] = await fillDataDir(dataDir, { users: 10, groups: [{ members: 10 }] });
const issuer = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
const tokens = await Promise.all(Array.from({ length: 10 }, async (_, i) => (await issuer.issue("access", i + 1, 0)).token));
const profile = process.env.PARLEY_PROFILE === "off" ? [] : ["--cpu-prof-md", `--cpu-prof-dir=${ROOT}test/bench/results`, `--cpu-prof-name=send-${kind}.md`];
const server = await spawnServer([BUN, ...profile, "src/index.ts", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
  PARLEY_JWT_SECRET: SECRET,
  PARLEY_RATE_LIMITS: "off",
  PARLEY_LOG_LEVEL: "info",
});

/** Sends `rate` messages a second for `seconds`, round robin over the members' sockets; resolves when all are acked. */
async function steadySends(server: ChildServer) {
  const sockets = await openSockets(server, tokens);
  let sent = 0;
  let acked = 0;
  const total = rate * seconds;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    for (const ws of sockets)
      ws.onmessage = (event) => {
        if ((event.data as string).startsWith('{"type":"ack"') && ++acked === total) resolve();
      };
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; sent < due; sent++)
        sockets[sent % sockets.length]!.send(`{"type":"message.send","ref":${sent},"conversation_id":${room},"message":"benchmark send ${sent}"}`);
      if (sent === total) clearInterval(tick);
    }, 2);
  });
  for (const ws of sockets) ws.close();
  return { per_second: total / ((performance.now() - started) / 1000), p50_ms: 0, p99_ms: 0 };
}

const result = await measured(server, () =>
  rate ? steadySends(server) : kind === "ws" ? wsSends(server, tokens, () => room!, seconds) : restSends(server, tokens[0]!, room!, seconds),
);
const messages = rate ? rate * seconds : result.per_second * seconds;
console.log(JSON.stringify({ ...result, cpu_us_per_message: (result.server_cpu_seconds / messages) * 1e6 }));
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
