// `parley copy-to-postgres <url>`: the SQLite installation in the data dir, copied into an empty PostgreSQL database.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config";
import { CopyRefused, copySqliteToPostgres } from "../db/copy-to-postgres";
import { UsageError, type CommandArgs } from "./args";

export async function copyToPostgres(config: Config, { positionals }: CommandArgs): Promise<string> {
  const url = positionals[0];
  if (!url || !/^postgres(ql)?:\/\/\S+$/.test(url))
    throw new UsageError("needs the PostgreSQL database to copy into: parley copy-to-postgres postgres://user@host:5432/parley");
  if (config.databaseUrl) throw new UsageError("copies from the SQLite database in the data dir: unset PARLEY_DATABASE_URL for this command");
  // The tokens the SQLite installation signed stay valid: its generated secret goes along (a configured one is
  // given to the new nodes as PARLEY_JWT_SECRET anyway).
  const secretFile = join(config.dataDir, "jwt-secret");
  const secret = config.jwtSecret === null && existsSync(secretFile) ? readFileSync(secretFile, "utf8").trim() : null;
  try {
    const { rows } = await copySqliteToPostgres(config.dataDir, url, secret);
    const counts = Object.entries(rows)
      .map(([table, n]) => `  ${table.padEnd(22)} ${n}`)
      .join("\n");
    return `copied ${join(config.dataDir, "parley.db")} into PostgreSQL:\n${counts}\nUploads stay in ${join(config.dataDir, "uploads")}: serve with PARLEY_DATABASE_URL set and this data dir (or a shared copy of its uploads folder).`;
  } catch (error) {
    if (error instanceof CopyRefused) throw new UsageError(error.message);
    throw new Error(`copy-to-postgres: nothing was copied: ${error instanceof Error ? error.message : String(error)}`);
  }
}
