// SIGTERM during traffic: exit 0, and every acknowledged message is in the database afterwards.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../helpers";

const ROOT = join(import.meta.dir, "../..");

test("SIGTERM while clients send: the server drains, exits 0, and loses nothing it acknowledged", async () => {
  const dataDir = tempDir();
  const proc = Bun.spawn([process.execPath, "src/index.ts", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    cwd: ROOT,
    env: { ...process.env, PARLEY_LOG_LEVEL: "info", PARLEY_PASSWORD_MEMORY_KIB: "1024", PARLEY_PASSWORD_TIME_COST: "1", PARLEY_RATE_LIMITS: "off" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  let log = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early: ${log}`);
    log += new TextDecoder().decode(value);
    url = /"url":"([^"]+)"/.exec(log)?.[1];
  }
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      log += new TextDecoder().decode(value);
    }
  })();

  const json = (path: string, body: unknown, token?: string) =>
    fetch(url + path, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  await json("/api/register/", { username: "durable", email: "durable@example.com", password: "durable password" });
  const { access } = (await (await json("/api/login/", { email: "durable@example.com", password: "durable password" })).json()) as { access: string };
  const group = (await (await json("/api/groups/create/", { name: "durable" }, access)).json()) as { id: number };

  const acknowledged: number[] = [];
  let stop = false;
  const senders = Array.from({ length: 8 }, async (_, worker) => {
    for (let i = 0; !stop && i < 10_000; i++) {
      try {
        const response = await json(`/api/messages/${group.id}/send/`, { message: `worker ${worker} message ${i}` }, access);
        if (response.status === 201) acknowledged.push(((await response.json()) as { id: number }).id);
        else await response.arrayBuffer();
      } catch {
        return; // the server stopped listening
      }
    }
  });
  while (acknowledged.length < 200) await Bun.sleep(5);
  proc.kill("SIGTERM");
  const exitCode = await proc.exited;
  stop = true;
  await Promise.all(senders);

  expect(exitCode).toBe(0);
  expect(log).toContain('"msg":"shutting down"');
  const db = new Database(join(dataDir, "parley.db"), { readonly: true });
  const stored = new Set(db.query<{ id: number }, []>("SELECT id FROM messages").all().map((r) => r.id));
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  db.close();
  expect(acknowledged.length).toBeGreaterThanOrEqual(200);
  expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
}, 30_000);
