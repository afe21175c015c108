// SIGTERM during traffic: exit 0, and every acknowledged message is in the database afterwards.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../helpers";
import { serve } from "../process-helpers";

test("SIGTERM while clients send: the server drains, exits 0, and loses nothing it acknowledged", async () => {
  const dataDir = tempDir();
  // On SQLite in either pass (an empty PARLEY_DATABASE_URL): the rows are read from the file afterwards.
  const server = await serve(dataDir, { PARLEY_RATE_LIMITS: "off", PARLEY_DATABASE_URL: "" });
  const url = server.url;

  const json = (path: string, body: unknown, token?: string) =>
    fetch(url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
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
  server.child.kill("SIGTERM");
  const exitCode = await server.child.exited;
  await server.drained;
  stop = true;
  await Promise.all(senders);

  expect(exitCode).toBe(0);
  expect(server.lines.join("\n")).toContain('"msg":"shutting down"');
  const db = new Database(join(dataDir, "parley.db"), { readonly: true });
  const stored = new Set(
    db
      .query<{ id: number }, []>("SELECT id FROM messages")
      .all()
      .map((r) => r.id),
  );
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  db.close();
  expect(acknowledged.length).toBeGreaterThanOrEqual(200);
  expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
}, 30_000);
