// A PostgreSQL server of the test's own (initdb + pg_ctl on a temp dir and a free port), for tests that stop and
// restart the database: never the machine's, which other tests share. As root, the server runs as the postgres user
// (PostgreSQL refuses to run as root). The test file destroys it in its afterAll.
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = process.env.PARLEY_TEST_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

/** Why no PostgreSQL of our own can be started here, or null when it can. */
export function ownPostgresProblem(): string | null {
  if (!existsSync(join(BIN, "initdb")) || !existsSync(join(BIN, "pg_ctl"))) return `no initdb and pg_ctl in ${BIN} (set PARLEY_TEST_POSTGRES_BIN)`;
  if (process.getuid?.() === 0 && Bun.spawnSync(["id", "-u", "postgres"]).exitCode !== 0) return "running as root, and no postgres user to run PostgreSQL as";
  return null;
}

/** A port nobody listens on now (the kernel's pick, released at once). */
function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

export interface OwnPostgres {
  url: string;
  /** Stops the server (fast shutdown: sessions are ended, as in a restart or an upgrade). */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it at once and removes its files (the test file's afterAll). */
  destroy(): void;
}

export function startOwnPostgres(): OwnPostgres {
  const root = mkdtempSync(join(tmpdir(), "parley-own-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot)
    chownSync(root, Number(Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString()), Number(Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString()));
  const data = join(root, "data");
  const port = freePort();
  const run = (command: string, ...args: string[]) => {
    const result = Bun.spawnSync([...(asRoot ? ["runuser", "-u", "postgres", "--"] : []), join(BIN, command), ...args], { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr.toString()}${result.stdout.toString()}`);
  };
  run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync");
  // fsync off: a test's database needs no durability across power loss, and the machine's disk is shared.
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const log = join(root, "log");
  const ctlArgs = (...args: string[]) => ["pg_ctl", "-D", data, "-w", "-t", "30", "-l", log, ...args];
  /** pg_ctl without blocking the test's event loop (its sockets keep receiving meanwhile). */
  const ctl = async (...args: string[]) => {
    const [command, ...rest] = ctlArgs(...args);
    const child = Bun.spawn([...(asRoot ? ["runuser", "-u", "postgres", "--"] : []), join(BIN, command!), ...rest], { stdout: "ignore", stderr: "pipe" });
    if ((await child.exited) !== 0) throw new Error(`pg_ctl ${args.join(" ")}: ${await new Response(child.stderr).text()}`);
  };
  run(...(ctlArgs("-o", options, "start") as [string, ...string[]]));
  let running = true;
  return {
    destroy() {
      if (running) run(...(ctlArgs("-m", "immediate", "stop") as [string, ...string[]]));
      running = false;
      rmSync(root, { recursive: true, force: true });
    },
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await ctl("-m", "fast", "stop");
      running = false;
    },
    async start() {
      await ctl("-o", options, "start");
      running = true;
    },
    async restart() {
      await ctl("-m", "fast", "-o", options, "restart");
    },
  };
}
