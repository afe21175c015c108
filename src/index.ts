#!/usr/bin/env bun
// The command line: serve (the default), migrate, createsuperuser, backup, import-django, version.
// Exit codes: 0 done, 1 failure, 2 bad usage or configuration; errors on stderr in one line.
import { ConfigError, describeOptions, loadConfig, type Config } from "./config";
import { UsageError, splitArgs, type CommandArgs } from "./cli/args";
import { version } from "../package.json";

// Elysia reads NODE_ENV at run time; a compiled binary is a production server unless told otherwise.
process.env.NODE_ENV ??= "production";

interface Command {
  summary: string;
  usage: string;
  /** The command's own flags; every other flag is a server option. */
  args?: { valued?: string[]; switches?: string[] };
  /** How many plain arguments (file names) it takes. */
  positionals?: number;
  /** Resolves to what to print on stdout. Modules load on use, so `parley version` stays instant. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a command that prints nothing returns nothing
  run(config: Config, args: CommandArgs): Promise<string | void> | string | void;
}

const serverOptions = () => `Options (each also readable from its environment variable):\n${describeOptions()}\n`;

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: "run the chat server (the default)",
    usage: "Usage: parley [serve] [options]\n\nRuns the chat server until SIGTERM or SIGINT.\n",
    run: serve,
  },
  migrate: {
    summary: "apply pending database migrations and exit",
    usage:
      "Usage: parley migrate [options]\n\nApplies pending migrations to the database: SQLite in the data dir, or PostgreSQL at PARLEY_DATABASE_URL (serve does this itself).\n",
    async run(config) {
      const { openConfiguredDatabase, migrateToLatest } = await import("./db");
      const database = openConfiguredDatabase(config);
      try {
        const { results = [] } = await migrateToLatest(database.db);
        return results.length ? results.map((r) => `applied ${r.migrationName}`).join("\n") : "database is up to date";
      } finally {
        await database.close();
      }
    },
  },
  createsuperuser: {
    summary: "create a staff account (interactive, or --username --email --password-stdin)",
    usage: `Usage: parley createsuperuser [--username NAME] [--email EMAIL] [--password-stdin] [options]

Creates a staff account (is_staff and is_superuser). Asks for what is not given, like Django's createsuperuser.

  --username NAME     the account's username
  --email EMAIL       the account's email address (it logs in with it)
  --password-stdin    read the password from the first line of stdin (for scripts: no prompt, no echo)
`,
    args: { valued: ["--username", "--email"], switches: ["--password-stdin"] },
    run: async (config, args) => (await import("./cli/createsuperuser")).createSuperuser(config, args),
  },
  backup: {
    summary: "write a consistent copy of the live database to a new file",
    usage: `Usage: parley backup <file> [options]

Writes a consistent snapshot of the database to <file> (a new file) while the server keeps serving, then opens
the copy and runs PRAGMA integrity_check on it. Uploaded files live in <data-dir>/uploads: copy that folder too.
To restore, stop the server and put the copy in place of <data-dir>/parley.db.
`,
    positionals: 1,
    run: async (config, args) => (await import("./cli/backup")).backup(config, args),
  },
  "import-django": {
    summary: "move the original Django server's data into an empty data dir",
    usage: `Usage: parley import-django --db <path to db.sqlite3> --media <path to MEDIA_ROOT> [--dry-run] [options]

Moves the original Django chat server's data into an empty Parley data dir, in one transaction: users (Django's
pbkdf2_sha256 password hashes are checked at login, then replaced with argon2id), groups and their members, direct
and group messages, message files. The original's database is only read. A report of what was imported and
skipped is printed at the end.

  --db <path>      the original's SQLite database (its db.sqlite3)
  --media <path>   the original's MEDIA_ROOT (chat_message.file paths are relative to it)
  --dry-run        check everything and print the report, but write nothing

The data dir (--data-dir) must hold no users, conversations or messages. Exit codes: 0 imported (or dry run done),
2 bad usage or a data dir that is not empty, 1 the import failed (Parley's database is left as it was).
`,
    args: { valued: ["--db", "--media"], switches: ["--dry-run"] },
    run: async (config, args) => (await import("./cli/import-django")).importDjangoCommand(config, args),
  },
  "copy-to-postgres": {
    summary: "copy the SQLite database in the data dir into an empty PostgreSQL database",
    usage: `Usage: parley copy-to-postgres <postgres-url> [options]

Moves an installation from SQLite onto PostgreSQL: migrates the (empty) PostgreSQL database at <postgres-url>, then
copies every row of <data-dir>/parley.db into it in one transaction, keeping ids and event seqs, so links, tokens
and clients resuming with a seq keep working. The generated signing secret goes along, so users stay logged in.
Stop the server first. The uploads are not copied: they stay in <data-dir>/uploads, which every node must see.
Then serve with PARLEY_DATABASE_URL=<postgres-url>. The SQLite file is only read and stays as it was.

Exit codes: 0 copied, 2 bad usage or a PostgreSQL database that is not empty, 1 the copy failed (nothing copied).
`,
    positionals: 1,
    run: async (config, args) => (await import("./cli/copy-to-postgres")).copyToPostgres(config, args),
  },
  version: {
    summary: "print the version",
    usage: "Usage: parley version\n",
    run: () => `parley ${version} (bun ${Bun.version})`,
  },
};

const USAGE = `Usage: parley [command] [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`)
  .join("\n")}

parley <command> --help describes one command.

`;

function fail(code: 1 | 2, message: string): never {
  process.stderr.write(`parley: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]) {
  const [first, ...rest] = argv;
  const name = first && !first.startsWith("-") ? first : "serve";
  const args = name === first ? rest : argv;
  if (name === "help") return void process.stdout.write(USAGE + serverOptions());
  const command = COMMANDS[name];
  if (!command) fail(2, `unknown command "${name}"; see parley --help`);
  if (args.includes("--help") || args.includes("-h")) {
    const general = name === "serve" && name !== first ? USAGE : "";
    return void process.stdout.write(general + command!.usage + (name === "version" ? "" : `\n${serverOptions()}`));
  }
  let config: Config;
  let commandArgs: CommandArgs;
  try {
    commandArgs = splitArgs(args, command!.args);
    const extra = commandArgs.positionals[command!.positionals ?? 0];
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    config = loadConfig(commandArgs.configArgs);
  } catch (error) {
    if (error instanceof ConfigError) fail(2, `bad configuration: ${error.problems.join("; ")}`);
    if (error instanceof UsageError) fail(2, `${name}: ${error.message}`);
    throw error;
  }
  try {
    const output = await command!.run(config, commandArgs);
    if (output) process.stdout.write(`${output}\n`);
  } catch (error) {
    if (error instanceof UsageError) fail(2, `${name}: ${error.message}`);
    throw error;
  }
}

async function serve(config: Config): Promise<void> {
  const { startServer } = await import("./server");
  const server = await startServer(config);
  (await import("./lib/heap-cap")).capHeapGrowth(); // once per process (tests run many servers in one)
  const { log } = server.parley.ctx;
  const { cluster } = server.parley.ctx;
  log.info("listening", { url: server.url, data_dir: config.dataDir, cluster_id: cluster.id, node_id: cluster.node });
  const shutdown = async (signal: string) => {
    log.info("shutting down", { signal });
    await server.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main(Bun.argv.slice(2)).catch((error) => fail(1, error instanceof Error ? error.message.split("\n")[0]! : String(error)));
