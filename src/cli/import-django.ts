// `parley import-django`: the original Django server's database and media into an empty Parley data dir.
import type { Config } from "../config";
import { ImportError, formatReport } from "../modules/import/report";
import { importDjango, previewDjangoImport } from "../modules/import/service";
import { UsageError, type CommandArgs } from "./args";

/** Returns the report. Bad usage and a data dir that is not empty are UsageErrors (exit 2); anything else fails (exit 1). */
export async function importDjangoCommand(config: Config, { flags }: CommandArgs): Promise<string> {
  const path = (name: string) => {
    const value = flags.get(name);
    if (typeof value !== "string" || value === "" || value.startsWith("-")) throw new UsageError(`${name} <path> is required; see parley import-django --help`);
    return value;
  };
  const options = { db: path("--db"), media: path("--media") };
  try {
    // Everything is checked (and a dry run reported) before the data dir is created or touched.
    const preview = await previewDjangoImport({ ...options, dataDir: config.dataDir, databaseUrl: config.databaseUrl });
    if (flags.has("--dry-run")) return formatReport(preview).trimEnd();
    const { createApp } = await import("../app");
    const parley = await createApp({ ...config, logLevel: "silent" });
    try {
      return formatReport(await importDjango(parley.ctx, options)).trimEnd();
    } finally {
      await parley.close();
    }
  } catch (error) {
    if (error instanceof ImportError) {
      if (error.kind === "conflict") throw new Error(`import-django: nothing was imported: ${error.message}`);
      throw new UsageError(error.message);
    }
    throw new Error(`import-django: the import failed, nothing was imported: ${error instanceof Error ? error.message : String(error)}`);
  }
}
