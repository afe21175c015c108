#!/usr/bin/env bun
// The command line: `parley serve` (default) | `parley migrate` | `parley version`.
// Exit codes: 0 done, 1 failure, 2 bad usage or configuration.
import { ConfigError, describeOptions, loadConfig } from "./config";
import { version } from "../package.json";

// Elysia reads NODE_ENV at run time; a compiled binary is a production server unless told otherwise.
process.env.NODE_ENV ??= "production";

const USAGE = `Usage: parley [command] [options]

Commands:
  serve      run the chat server (the default)
  migrate    apply pending database migrations and exit
  version    print the version

Options (each also readable from its environment variable):
${describeOptions()}
`;

function fail(code: 1 | 2, message: string): never {
  process.stderr.write(`parley: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]) {
  const [first, ...rest] = argv;
  const command = first && !first.startsWith("-") ? first : "serve";
  const args = command === first ? rest : argv;
  if (args.includes("--help") || args.includes("-h") || command === "help") {
    process.stdout.write(USAGE);
    return;
  }
  if (command === "version") {
    process.stdout.write(`parley ${version} (bun ${Bun.version})\n`);
    return;
  }
  if (command !== "serve" && command !== "migrate") fail(2, `unknown command "${command}"; see parley --help`);

  let config;
  try {
    config = loadConfig(args);
  } catch (error) {
    if (error instanceof ConfigError) fail(2, `bad configuration: ${error.problems.join("; ")}`);
    throw error;
  }

  if (command === "migrate") {
    const { openDatabase, migrateToLatest } = await import("./db");
    const database = openDatabase(config.dataDir, config.durability);
    const { results = [] } = await migrateToLatest(database.db);
    await database.close();
    process.stdout.write(results.length ? results.map((r) => `applied ${r.migrationName}\n`).join("") : "database is up to date\n");
    return;
  }

  const { startServer } = await import("./server");
  const server = await startServer(config);
  const { log } = server.parley.ctx;
  log.info("listening", { url: server.url, data_dir: config.dataDir });
  const shutdown = async (signal: string) => {
    log.info("shutting down", { signal });
    await server.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main(Bun.argv.slice(2)).catch((error) => fail(1, error instanceof Error ? error.message : String(error)));
