// Parley as a real process: `bun src/index.ts serve` started on a free port, its log lines collected, stopped with
// SIGTERM. Every process started here is killed when the test file ends.
import { afterAll } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { databaseEnvFor } from "./test-database";

const ROOT = join(import.meta.dir, "..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const START_TIMEOUT_MS = 10_000;

export interface Server {
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

export const parse = (line: string) => {
  try {
    return JSON.parse(line) as Record<string, any>;
  } catch {
    return undefined;
  }
};

/** `bun src/index.ts serve` on a free port with `dataDir`, once it logged where it listens. */
export async function serve(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PARLEY_"))),
    PARLEY_LOG_LEVEL: "info",
    PARLEY_PASSWORD_MEMORY_KIB: "1024",
    PARLEY_PASSWORD_TIME_COST: "1",
    ...(extraEnv.PARLEY_DATABASE_URL ? {} : databaseEnvFor(dataDir)), // a test naming the database shares it between data dirs
    ...extraEnv,
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

/** SIGTERM, and the exit code (a test fails if the process does not exit in time). */
export async function stop(server: Server): Promise<number | null> {
  server.child.kill("SIGTERM");
  const exitCode = await Promise.race([server.child.exited, Bun.sleep(START_TIMEOUT_MS).then(() => "timeout" as const)]);
  if (exitCode === "timeout") throw new Error(`no exit after SIGTERM\n${server.stderr()}`);
  return exitCode;
}
