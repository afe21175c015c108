// Everything on disk is the server user's alone: the data dir and uploads 0700, the database, its WAL, the secret,
// uploaded files and backups 0600 — from the first start, and tightened at start when an older version left them looser.
import { describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { backup } from "../../src/cli/backup";
import { splitArgs } from "../../src/cli/args";
import { createLogger } from "../../src/lib/log";
import { createGroup, upload } from "../chat-helpers";
import { handleClient, listen, registerUser, tempDir, testConfig } from "../helpers";
import { onPostgres } from "../test-database";

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("files on disk are private to the server's user", () => {
  test("a fresh data dir after a start, a write, an upload and a backup: dirs 0700, files 0600", async () => {
    const dataDir = join(tempDir(), "data"); // not there yet: the server creates it
    const { api, config } = await listen({ dataDir });
    const user = await registerUser(api, "private");
    const group = await createGroup(api, user);
    expect((await upload(api, user, group.id, "secret bytes", "secret.txt")).status).toBe(201);

    const uploads = join(dataDir, "uploads");
    const [stored] = readdirSync(uploads);
    const modes: Record<string, string> = { [dataDir]: "700", [uploads]: "700", [join(uploads, stored!)]: "600" };
    if (!onPostgres) {
      const database = join(dataDir, "parley.db");
      for (const path of [database, `${database}-wal`, `${database}-shm`, join(dataDir, "jwt-secret")]) modes[path] = "600";
      const target = join(tempDir(), "backup.db");
      expect(backup(config, splitArgs([target]))).toContain("integrity ok");
      modes[target] = "600";
    }
    expect(Object.fromEntries(Object.keys(modes).map((path) => [path, modeOf(path)]))).toEqual(modes);
  });

  test("what an older version left readable by others is tightened at start, with one log line", async () => {
    const dataDir = join(tempDir(), "older");
    const first = await createApp(testConfig({ dataDir }));
    const firstUser = await registerUser(handleClient(first), "older");
    await first.close();
    const loose = [dataDir, join(dataDir, "uploads"), ...(onPostgres ? [] : [join(dataDir, "parley.db"), join(dataDir, "jwt-secret")])];
    for (const path of loose) chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);

    const lines: string[] = [];
    const second = await createApp(testConfig({ dataDir, logLevel: "warn" }), { log: createLogger("warn", (line) => lines.push(line)) });
    try {
      for (const path of loose) expect(modeOf(path), path).toBe(statSync(path).isDirectory() ? "700" : "600");
      const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg?.includes("readable by other users"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0].tightened.map((entry: { path: string }) => entry.path).sort()).toEqual([...loose].sort());
      expect(warnings[0].tightened.every((entry: { was: string }) => ["0755", "0644"].includes(entry.was))).toBe(true);
      // The server works on it as before.
      expect((await handleClient(second)("POST", "/api/login/", { body: { email: firstUser.email, password: firstUser.password } })).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
