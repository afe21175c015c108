// Which database the suite runs on: SQLite by default; PARLEY_TEST_DATABASE=postgres runs the same tests on
// PostgreSQL (PARLEY_TEST_POSTGRES_URL, a role that may create databases), each app or data dir in a database of its
// own, made fresh and dropped when the test process exits.

export const TEST_DATABASE = process.env.PARLEY_TEST_DATABASE === "postgres" ? "postgres" : "sqlite";
export const onPostgres = TEST_DATABASE === "postgres";
export const POSTGRES_ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Runs one statement as the admin role, synchronously (tests build their configuration synchronously). */
function admin(statement: string): void {
  const result = Bun.spawnSync(["psql", POSTGRES_ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", statement], { stderr: "pipe", stdout: "ignore" });
  if (result.exitCode !== 0) throw new Error(`psql ${statement}: ${result.stderr.toString().trim()}`);
}

const created = new Map<string, string>();
let dropsRegistered = false;

/** A fresh, empty PostgreSQL database for `key` (a data dir: nodes sharing one share its database too). */
export function postgresDatabaseFor(key: string): string {
  const known = created.get(key);
  if (known) return known;
  const name = `parley_test_${process.pid}_${created.size + 1}`;
  admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  created.set(key, url.toString());
  if (!dropsRegistered) {
    dropsRegistered = true;
    process.on("exit", () => {
      for (const databaseUrl of created.values()) {
        try {
          admin(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`);
        } catch {} // the next run's sweep (.ci/run) removes what is left
      }
    });
  }
  return url.toString();
}

/** For a child process serving `dataDir`: on a PostgreSQL run, the database that stands for it, and a small pool. */
export function databaseEnvFor(dataDir: string | undefined): Record<string, string> {
  return onPostgres && dataDir ? { PARLEY_DATABASE_URL: postgresDatabaseFor(dataDir), PARLEY_DATABASE_POOL: "4" } : {};
}

/** The --data-dir of a command line (`--data-dir X` or `--data-dir=X`). */
export function dataDirOf(args: string[]): string | undefined {
  return args.find((_, i) => args[i - 1] === "--data-dir") ?? args.find((arg) => arg.startsWith("--data-dir="))?.slice("--data-dir=".length);
}
