// A database that went away (PostgreSQL restarting, stopped, unreachable), recognised in one place: a request that
// needed it is refused at once with a 503 and Retry-After instead of a 500, sockets stay open (an operation gets an
// `error` frame), /readyz says why, and the log says it once each way. The driver's pool reconnects by itself:
// the first query that gets through ends the outage, and while it lasts a probe asks every second.
import { AppError, RetryLaterError } from "./errors";
import type { Logger } from "./log";

/** What a refusal tells the client to wait, and how often the probe asks while the database is away. */
export const DATABASE_RETRY_AFTER_MS = 2_000;
const PROBE_INTERVAL_MS = 1_000;

/** Bun's SQL client's codes for a connection that failed, closed or timed out (not a query's own error). */
const CONNECTION_CODES = new Set([
  "ERR_POSTGRES_CONNECTION_CLOSED",
  "ERR_POSTGRES_CONNECTION_REFUSED",
  "ERR_POSTGRES_CONNECTION_FAILED",
  "ERR_POSTGRES_CONNECTION_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
/**
 * PostgreSQL's SQLSTATEs that mean the server, not the query: class 08 (connection exception), 57P01 admin shutdown
 * (a restart or stop), 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down), 53300 too many
 * connections. Bun carries the SQLSTATE in `errno`, other drivers in `code`.
 */
const isServerGoneState = (state: unknown) => typeof state === "string" && (/^08...$/.test(state) || ["57P01", "57P02", "57P03", "53300"].includes(state));

/** Whether `error` (or what it wraps) says the database could not be reached, rather than that a query failed. */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e = error as { code?: unknown; errno?: unknown; cause?: unknown } | null | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e !== "object") return false;
    if (CONNECTION_CODES.has(e.code as string) || isServerGoneState(e.code) || isServerGoneState(e.errno)) return true;
  }
  return false;
}

export class DatabaseOutage {
  private since: number | null = null;
  private probe: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly log: Logger,
    /** A query that needs the database and nothing else (select 1): the probe while it is away. */
    private readonly ping: () => Promise<unknown>,
  ) {}

  /** The 503 to answer when `error` says the database is unreachable (noting it, and saying so once); any other error unchanged. */
  refusal(error: unknown): unknown {
    if (error instanceof AppError || !isDatabaseUnreachable(error)) return error;
    if (this.since === null) {
      this.since = Date.now();
      this.log.error("database unavailable: requests that need it answer 503 until it is back", { error: String(error) });
      this.probe = setInterval(
        () =>
          void this.ping().then(
            () => this.answered(),
            () => undefined,
          ),
        PROBE_INTERVAL_MS,
      );
    }
    return new DatabaseUnavailableError();
  }

  /** A query got through: if the database was away, it is back. */
  answered(): void {
    if (this.since === null) return;
    const downMs = Date.now() - this.since;
    this.since = null;
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
    this.log.info("database is back: requests succeed again", { down_ms: downMs });
  }

  /** For /readyz: whether the last query that needed the database could not reach it, and none has since. */
  isOngoing(): boolean {
    return this.since !== null;
  }

  stop(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
  }
}

/** A 503 with Retry-After: the database is away for a moment. */
export class DatabaseUnavailableError extends RetryLaterError {
  constructor() {
    super(
      503,
      "database_unavailable",
      "The database is unavailable for a moment. Try again shortly (a send retried with its client_id is stored once).",
      DATABASE_RETRY_AFTER_MS,
    );
  }
}
