// A full disk, recognised in one place: ENOSPC from the upload store, SQLITE_FULL (or PostgreSQL's disk_full) from a
// commit. The write is refused with a 507 instead of a 500, /readyz says why, and the log says it once each way.
import { statfsSync } from "node:fs";
import { AppError } from "./errors";
import type { Logger } from "./log";

/** Free space on the data dir at which /readyz stops waiting for a successful write to say the disk is back. */
const FREE_AGAIN_BYTES = 1024 * 1024;

/** Whether `error` (or what it wraps) says a write found no space: the file system's, SQLite's or PostgreSQL's way. */
export function isOutOfSpace(error: unknown): boolean {
  for (let e = error as { code?: unknown; errno?: unknown; cause?: unknown } | null | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    // PostgreSQL's SQLSTATE 53100: Bun's SQL client carries it in `errno` (its `code` is ERR_POSTGRES_SERVER_ERROR).
    if (e.code === "ENOSPC" || e.code === "SQLITE_FULL" || e.code === "53100" || e.errno === "53100") return true;
  }
  return false;
}

export class DiskSpace {
  private full = false;

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  /** The 507 to answer when `error` says the disk is full (noting it, and saying so once); any other error unchanged. */
  refusal(error: unknown): unknown {
    if (error instanceof AppError || !isOutOfSpace(error)) return error;
    if (!this.full) {
      this.full = true;
      this.log.warn("disk full: writes are refused (507) until space is freed", { data_dir: this.dataDir, error: String(error) });
    }
    return new AppError(507, "insufficient_storage", "The server's disk is full: nothing was stored. Try again later.");
  }

  /** A write succeeded: if the disk was full, it is not any more. */
  wrote(): void {
    if (!this.full) return;
    this.full = false;
    this.log.info("disk space is back: writes succeed again", { data_dir: this.dataDir });
  }

  /** For /readyz: whether the last write failed for lack of space and the data dir has not had space freed since. */
  isFull(): boolean {
    if (this.full && this.freeBytes() >= FREE_AGAIN_BYTES) this.wrote();
    return this.full;
  }

  private freeBytes(): number {
    try {
      const { bavail, bsize } = statfsSync(this.dataDir);
      return Number(bavail) * Number(bsize);
    } catch {
      return 0;
    }
  }
}
