// The real command line: `bun src/index.ts serve` starts, logs where it listens, stops cleanly on SIGTERM,
// and a restart on the same data dir keeps accounts and the signing secret (old tokens still work).
import { afterAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { httpClient, tempDir } from "../helpers";

const ROOT = join(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const START_TIMEOUT_MS = 10_000;

interface Server {
  child: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  /** Every line written to stdout so far. */
  lines: string[];
  stderr: () => string;
}

const started: Subprocess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Collects a stream's lines as they arrive. */
function collect(stream: ReadableStream<Uint8Array>, into: string[]): void {
  void (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop()!;
      into.push(...parts);
    }
    if (pending) into.push(pending);
  })();
}

/** Polls until `find` returns something, or fails after `timeoutMs`. */
async function waitFor<T>(what: string, find: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${describe()}`);
    await Bun.sleep(20);
  }
}

const parse = (line: string) => {
  try {
    return JSON.parse(line) as Record<string, any>;
  } catch {
    return undefined;
  }
};

async function serve(dataDir: string): Promise<Server> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PARLEY_"))),
    PARLEY_LOG_LEVEL: "info",
    PARLEY_PASSWORD_MEMORY_KIB: "1024",
    PARLEY_PASSWORD_TIME_COST: "1",
  };
  const child = Bun.spawn([BUN, "src/index.ts", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    cwd: ROOT,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  started.push(child);
  const lines: string[] = [];
  const errors: string[] = [];
  collect(child.stdout, lines);
  collect(child.stderr, errors);
  const stderr = () => errors.join("\n");
  const listening = await waitFor(
    "the listening log line",
    () => {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr()}`);
      return lines.map(parse).find((entry) => entry?.msg === "listening");
    },
    START_TIMEOUT_MS,
    () => `stdout:\n${lines.join("\n")}\nstderr:\n${stderr()}`,
  );
  return { child, url: listening.url, lines, stderr };
}

async function stop(server: Server): Promise<number | null> {
  server.child.kill("SIGTERM");
  const exitCode = await Promise.race([server.child.exited, Bun.sleep(START_TIMEOUT_MS).then(() => "timeout" as const)]);
  if (exitCode === "timeout") throw new Error(`no exit after SIGTERM\n${server.stderr()}`);
  return exitCode;
}

test("serve, SIGTERM, serve again on the same data dir: the old access token still works", async () => {
  const dataDir = tempDir();
  const first = await serve(dataDir);
  expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const listening = first.lines.map(parse).find((entry) => entry?.msg === "listening")!;
  expect(listening).toMatchObject({ level: "info", data_dir: dataDir });

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

  // The generated secret is kept in the data dir, readable by the owner only.
  expect(statSync(join(dataDir, "jwt-secret")).mode & 0o777).toBe(0o600);

  const second = await serve(dataDir);
  const again = httpClient(second.url);
  const protectedResponse = await again("GET", "/api/users/protected/", { token: access });
  expect(protectedResponse.status).toBe(200);
  expect(protectedResponse.body).toEqual({ message: "Access granted!", email: "survivor@example.com" });
  const rotated = await again("POST", "/api/token/refresh/", { body: { refresh } });
  expect(rotated.status).toBe(200);
  expect((await again("POST", "/api/login/", { body: { email: "survivor@example.com", password } })).status).toBe(200);
  expect(await stop(second)).toBe(0);
});
