// What Parley keeps on disk (the database and its WAL, uploads, the signing secret, backups) holds every message,
// password hash and key: it is made readable by the server's user only, whatever the umask, and what an older
// version or a copy left looser is tightened at start.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates a directory (and any missing parent) that only this user may enter; an existing one is left as it is. */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates `path` as an empty file only this user may read, unless it exists; fails if `exclusive` and it does. */
export function createPrivateFile(path: string, { exclusive = false } = {}): void {
  closeSync(openSync(path, exclusive ? "wx" : "a", PRIVATE_FILE_MODE));
}

export interface Tightened {
  path: string;
  /** The mode it had, in octal. */
  was: string;
}

/** Takes group and other permissions off each existing path; says which it changed and what failed (not ours, say). */
export function tightenModes(paths: readonly string[]): { tightened: Tightened[]; failed: string[] } {
  const tightened: Tightened[] = [];
  const failed: string[] = [];
  for (const path of paths) {
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      continue; // not created yet: it will be, privately
    }
    if ((mode & 0o077) === 0) continue;
    try {
      chmodSync(path, mode & 0o700);
      tightened.push({ path, was: mode.toString(8).padStart(4, "0") });
    } catch {
      failed.push(path);
    }
  }
  return { tightened, failed };
}
