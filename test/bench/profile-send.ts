// Profiles Parley's send path from source: `bun test/bench/profile-send.ts [ws|rest] [seconds]` runs the server under
// `bun --cpu-prof-md` on a fresh room of 10 (as the lean scenario does) and writes the profile to test/bench/results/.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../src/modules/auth/tokens";
import { fillDataDir } from "./fill";
import { BUN, ROOT, SECRET, measured, spawnServer } from "./lib";
import { restSends, wsSends } from "./scenarios/send";

const kind = process.argv[2] ?? "ws";
const seconds = Number(process.argv[3] ?? 5);
const dataDir = mkdtempSync(join(tmpdir(), "parley-profile-"));
const [room] = await fillDataDir(dataDir, { users: 10, groups: [{ members: 10 }] });
const issuer = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
const tokens = await Promise.all(Array.from({ length: 10 }, async (_, i) => (await issuer.issue("access", i + 1, 0)).token));
const extra = process.env.PARLEY_PROFILE === "off" ? [] : ["--cpu-prof-md", `--cpu-prof-dir=${ROOT}test/bench/results`, `--cpu-prof-name=send-${kind}.md`];
const server = await spawnServer([BUN, ...extra, "src/index.ts", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
  PARLEY_JWT_SECRET: SECRET,
  PARLEY_RATE_LIMITS: "off",
  PARLEY_LOG_LEVEL: "info",
});
const result = await measured(server, () => (kind === "ws" ? wsSends(server, tokens, () => room!, seconds) : restSends(server, tokens[0]!, room!, seconds)));
console.log(JSON.stringify({ ...result, cpu_us_per_message: (result.server_cpu_seconds / (result.per_second * seconds)) * 1e6 }));
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
