// The original's database (a real one, made by running it) copied to a temp dir, and the real command run on it.
import { Database } from "bun:sqlite";
import { chmodSync, cpSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers";
import { ROOT, run, type Run } from "../process-helpers";

// A copy of ../shared/fixtures/django-original (a real database of the original, made by running it), kept in
// the repository so a clean clone tests the import anywhere.
export const FIXTURE = join(ROOT, "test/fixtures/django-original");

/** The README's passwords: `Passw0rd-<username>`. */
export const passwordOf = (username: string) => `Passw0rd-${username}`;

export interface FixtureCopy {
  dir: string;
  db: string;
  media: string;
}

/** A writable copy of the fixture (db.sqlite3 and media/) in a temp dir. */
export function copyFixture(): FixtureCopy {
  const dir = tempDir("parley-django-");
  cpSync(FIXTURE, dir, { recursive: true });
  const makeWritable = (path: string) => {
    chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
  };
  makeWritable(dir);
  return { dir, db: join(dir, "db.sqlite3"), media: join(dir, "media") };
}

/** Changes the copy of the original's database (the import itself only ever reads it). */
export function editOriginal(copy: FixtureCopy, ...statements: string[]): void {
  const db = new Database(copy.db);
  for (const statement of statements) db.run(statement);
  db.close();
}

/** `parley import-django ...args` through the real entry point, with no PARLEY_* variables of the caller. */
export const runImport = (...args: string[]): Promise<Run> => run(["import-django", ...args]);

export const sha256 = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");

/** Every file under `dir` (relative path → SHA-256): to show nothing was written, or changed. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (path: string, prefix: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(path, entry.name), `${prefix}${entry.name}/`);
      else files[`${prefix}${entry.name}`] = sha256(join(path, entry.name));
    }
  };
  walk(dir, "");
  return files;
}

/** Rows of the original, read directly (read-only), for comparing with what Parley serves. */
export function originalRows<T>(copy: FixtureCopy, query: string): T[] {
  const db = new Database(copy.db, { readonly: true });
  try {
    return db.query(query).all() as T[];
  } finally {
    db.close();
  }
}
