// The faults a request can meet that are nobody's mistake — the data disk full (507), the database away (503) — turned
// into the API's answers in one place: the error handler, the group commit and the socket operations all ask here.
import type { DiskSpace } from "./disk-space";
import type { DatabaseOutage } from "./database-outage";

export class Faults {
  constructor(
    readonly disk: DiskSpace,
    readonly database: DatabaseOutage,
  ) {}

  /** The AppError a fault's `error` becomes (507, 503), noted for /readyz and the log; any other error unchanged. */
  refusal(error: unknown): unknown {
    return this.database.refusal(this.disk.refusal(error));
  }

  /** A write was committed: the disk has room and the database answers. */
  wrote(): void {
    this.disk.wrote();
    this.database.answered();
  }
}
