// `parley backup <file>`: a consistent copy of the live database, taken while the server runs.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Config } from "../config";
import { backupDatabase } from "../db";
import { formatBytes } from "../lib/units";
import { UsageError, type CommandArgs } from "./args";

export function backup(config: Config, { positionals }: CommandArgs): string {
  if (config.databaseUrl) {
    throw new UsageError(
      'the database is PostgreSQL (PARLEY_DATABASE_URL): back it up with pg_dump, e.g. pg_dump --format=custom --file=parley.dump "$PARLEY_DATABASE_URL"; uploads are files in the data dir\'s uploads folder',
    );
  }
  if (positionals.length !== 1) throw new UsageError("needs the file to write: parley backup <file>");
  const target = resolve(positionals[0]!);
  if (existsSync(target)) throw new UsageError(`${target} already exists; choose a new file name`);
  if (!existsSync(dirname(target))) throw new UsageError(`folder ${dirname(target)} does not exist`);
  const { bytes, integrity } = backupDatabase(config.dataDir, target);
  return `backup written to ${target} (${formatBytes(bytes)}, integrity ${integrity})`;
}
