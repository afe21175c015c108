// Parley as a real process, the one way tests start it: `bun src/index.ts`, or the compiled binary when PARLEY_BIN
// names one (CI runs the command-line tests again against dist/parley). `run` waits for a command to end; `serve`
// starts a server on a free port, collects its log lines and is stopped with SIGTERM. Every server started here is
// killed when the test file ends.
import { afterAll } from "bun:test";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { databaseEnvFor, dataDirOf } from "./test-database";

export const ROOT = join(import.meta.dir, "..");
const ENTRY = process.env.PARLEY_BIN ? [resolve(ROOT, process.env.PARLEY_BIN)] : [join(ROOT, "node_modules/.bin/bun"), "src/index.ts"];
const START_TIMEOUT_MS = 10_000;
const CHEAP_HASHING = { PARLEY_PASSWORD_MEMORY_KIB: "1024", PARLEY_PASSWORD_TIME_COST: "1" };

/**
 * The child's environment: the caller's without any PARLEY_* variable, cheap password hashing, on a PostgreSQL run
 * the database standing for `dataDir` (unless `extra` names one to share, or an empty one to stay on SQLite), then `extra`.
 */
function childEnv(dataDir: string | undefined, extra: Record<string, string>): Record<string, string | undefined> {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PARLEY_"))),
    ...CHEAP_HASHING,
    ...("PARLEY_DATABASE_URL" in extra ? {} : databaseEnvFor(dataDir)),
    ...extra,
  };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `parley ...args` to its end; `stdin` is written to it when given. */
export async function run(args: string[], { stdin, env = {} }: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const child = Bun.spawn([...ENTRY, ...args], {
    cwd: ROOT,
    env: childEnv(dataDirOf(args), env),
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, stdout, stderr };
}

export interface Server {
  child: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  /** Every line written to stdout so far. */
  lines: string[];
  stderr: () => string;
  /** Resolves when stdout and stderr are read to their end. */
  drained: Promise<void>;
}

const started: Subprocess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Collects a stream's lines as they arrive; resolves when the stream ends. */
function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  return (async () => {
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

/** `parley serve` on a free port with `dataDir`, once it logged where it listens. */
export async function serve(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  const child = Bun.spawn([...ENTRY, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    cwd: ROOT,
    env: childEnv(dataDir, { PARLEY_LOG_LEVEL: "info", ...extraEnv }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  started.push(child);
  const lines: string[] = [];
  const errors: string[] = [];
  const drained = Promise.all([collect(child.stdout, lines), collect(child.stderr, errors)]).then(() => undefined);
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
  return { child, url: listening.url, lines, stderr, drained };
}

/** SIGTERM, and the exit code (a test fails if the process does not exit in time). */
export async function stop(server: Server): Promise<number | null> {
  server.child.kill("SIGTERM");
  const exitCode = await Promise.race([server.child.exited, Bun.sleep(START_TIMEOUT_MS).then(() => "timeout" as const)]);
  if (exitCode === "timeout") throw new Error(`no exit after SIGTERM\n${server.stderr()}`);
  await server.drained;
  return exitCode;
}
