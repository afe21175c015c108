// The real command line: `bun src/index.ts serve` starts, logs where it listens, stops cleanly on SIGTERM,
// and a restart on the same data dir keeps accounts and the signing secret (old tokens still work).
import { onPostgres } from "../test-database";
import { expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { httpClient, tempDir } from "../helpers";
import { parse, serve, stop } from "../process-helpers";

test("serve, SIGTERM, serve again on the same data dir: the old access token still works", async () => {
  const dataDir = tempDir();
  const first = await serve(dataDir);
  expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const listening = first.lines.map(parse).find((entry) => entry?.msg === "listening")!;
  const { cluster_id: clusterId, node_id: nodeId } = listening;
  expect(listening).toMatchObject({ level: "info", data_dir: dataDir });
  expect(clusterId).toMatch(/^[0-9a-f]{24}$/);
  expect(nodeId).toMatch(/^[0-9a-f-]{36}$/);

  const api = httpClient(first.url);
  expect((await api("GET", "/healthz")).body).toEqual({ status: "ok" });
  const password = "restart password 1";
  const registered = await api("POST", "/api/register/", { body: { username: "survivor", email: "survivor@example.com", password } });
  expect(registered.status).toBe(201);
  const login = await api("POST", "/api/login/", { body: { email: "survivor@example.com", password } });
  expect(login.status).toBe(200);
  const { access, refresh } = login.body;
  expect((await api("GET", "/api/users/protected/", { token: access })).status).toBe(200);

  expect(await stop(first)).toBe(0);
  const entries = first.lines.filter((line) => line.trim()).map(parse);
  expect(entries.every((entry) => entry !== undefined)).toBe(true); // every log line is JSON
  expect(entries.find((entry) => entry?.msg === "shutting down")).toMatchObject({ signal: "SIGTERM" });
  // Logs never carry passwords or tokens.
  const log = first.lines.join("\n");
  expect(log).not.toContain(password);
  expect(log).not.toContain(access);
  expect(first.stderr()).toBe("");

  // The generated secret is kept in the data dir, readable by the owner only (on PostgreSQL: in the shared database).
  if (!onPostgres) expect(statSync(join(dataDir, "jwt-secret")).mode & 0o777).toBe(0o600);

  const second = await serve(dataDir);
  // The cluster id is the database's: the same after a restart (the node id is new).
  const relistening = second.lines.map(parse).find((entry) => entry?.msg === "listening")!;
  expect(relistening.cluster_id).toBe(clusterId);
  expect(relistening.node_id).not.toBe(nodeId);
  const again = httpClient(second.url);
  const protectedResponse = await again("GET", "/api/users/protected/", { token: access });
  expect(protectedResponse.status).toBe(200);
  expect(protectedResponse.body).toEqual({ message: "Access granted!", email: "survivor@example.com" });
  const rotated = await again("POST", "/api/token/refresh/", { body: { refresh } });
  expect(rotated.status).toBe(200);
  expect((await again("POST", "/api/login/", { body: { email: "survivor@example.com", password } })).status).toBe(200);
  expect(await stop(second)).toBe(0);
});
