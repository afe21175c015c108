// The one typed configuration: read from command-line flags and PARLEY_* environment variables, validated once.
import { resolve } from "node:path";
import { formatDuration, parseDuration, parseSize } from "./lib/units";

/** A burst of `capacity` tokens, refilled at `capacity` per `periodMs` (so "10/1m": 10 at once, then one every 6 s). */
export interface Rate {
  capacity: number;
  periodMs: number;
}

export type Durability = "normal" | "full";
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** HS256 signing secret; null means "generate one and keep it in the data dir". */
  jwtSecret: string | null;
  accessTtlMs: number;
  refreshTtlMs: number;
  corsOrigins: string[];
  maxUploadBytes: number;
  maxJsonBytes: number;
  /** How long an uploaded file lives; 0 keeps files forever. */
  fileTtlMs: number;
  /** How long a signed download URL stays valid. */
  fileUrlTtlMs: number;
  sweepIntervalMs: number;
  /** argon2id cost for new password hashes. */
  passwordMemoryKib: number;
  passwordTimeCost: number;
  durability: Durability;
  logLevel: LogLevel;
  /** When set, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** A WebSocket that sends nothing (not even a pong to our pings) for this long is closed. */
  wsIdleTimeoutMs: number;
  /** An HTTP connection idle this long, or a request whose body has not all come by then, is closed (Bun's idleTimeout). */
  httpIdleTimeoutMs: number;
  /** Messages older than this are deleted (with their files); 0 keeps them forever. */
  messageRetentionMs: number;
  /** PostgreSQL instead of the SQLite file in the data dir (several nodes share it); null for SQLite. */
  databaseUrl: string | null;
  /** Connections each node keeps to PostgreSQL at most. */
  databasePoolSize: number;
  /** SQLite: threads with their own read connections for the reads that cannot be bounded; 0 runs them on the event loop. */
  readWorkers: number;
  /** Redis for events between nodes sharing one database; null for a single node. */
  redisUrl: string | null;
  /** With Redis: how often a node reads the event log for announcements it missed; 0 never (tests, diagnosis). */
  logPollMs: number;
  /** Rate limits and flood control; off only for benchmarks and trusted setups. */
  rateLimits: boolean;
  /** Web Push: accept http:// subscription endpoints (tests with a local stand-in push service only). */
  pushAllowHttp: boolean;
  /** Web Push: the VAPID `sub` claim, how push services reach the operator (mailto: or https:). */
  pushSubject: string;
  /** Behind a reverse proxy: the client's address is the last one in X-Forwarded-For, not the socket's. */
  trustProxy: boolean;
  limitLoginIp: Rate;
  limitLoginAccount: Rate;
  limitRegisterIp: Rate;
  limitRegisterAccount: Rate;
  limitRefreshIp: Rate;
  limitRefreshAccount: Rate;
  limitSend: Rate;
  limitUploadBytes: Rate;
  limitSearch: Rate;
  limitWebhook: Rate;
  webhookAllowPrivate: boolean;
  webhookGiveUpMs: number;
  webhookRetryMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

/** A parser returns the value, or a Complaint saying what is wrong with the text. */
class Complaint {
  constructor(readonly text: string) {}
}
type Parser<T> = (text: string) => T | Complaint;

interface Option<K extends keyof Config> {
  key: K;
  env: string;
  flag?: string;
  default: Config[K];
  parse: Parser<Config[K]>;
  help: string;
}

const int =
  (min: number, max: number): Parser<number> =>
  (text) => {
    const value = Number(text);
    return /^\d+$/.test(text.trim()) && value >= min && value <= max ? value : new Complaint(`must be a whole number from ${min} to ${max}`);
  };
const duration =
  (allowZero: boolean): Parser<number> =>
  (text) => {
    const value = parseDuration(text);
    if (value === null) return new Complaint('must be a duration with a unit, e.g. "90s", "40m", "7d"');
    return value > 0 || allowZero ? value : new Complaint("must be longer than zero");
  };
/** A duration from `min` to `max` milliseconds (`limits`: how the complaint says them). */
const durationWithin =
  (min: number, max: number, limits: string): Parser<number> =>
  (text) => {
    const v = duration(false)(text);
    return v instanceof Complaint || (v >= min && v <= max) ? v : new Complaint(`must be from ${limits}`);
  };
const size: Parser<number> = (text) => {
  const value = parseSize(text);
  return value !== null && value > 0 ? value : new Complaint('must be a size in bytes or with a unit, e.g. "1048576" or "25MiB"');
};
const oneOf =
  <T extends string>(...choices: T[]): Parser<T> =>
  (text) =>
    (choices as string[]).includes(text.trim().toLowerCase()) ? (text.trim().toLowerCase() as T) : new Complaint(`must be one of ${choices.join(", ")}`);

const onOff: Parser<boolean> = (text) => {
  const value = oneOf("on", "off")(text);
  return value instanceof Complaint ? value : value === "on";
};
/** "<capacity>/<period>", e.g. "10/1m" (a count) or "200MiB/10m" (bytes). */
const rate =
  (unit: "count" | "bytes"): Parser<Rate> =>
  (text) => {
    const [amount, period, extra] = text.split("/");
    const capacity = amount === undefined ? null : unit === "bytes" ? parseSize(amount) : /^\s*\d+\s*$/.test(amount) ? Number(amount) : null;
    const periodMs = period === undefined ? null : parseDuration(period);
    if (extra !== undefined || !capacity || capacity > Number.MAX_SAFE_INTEGER || !periodMs) {
      return new Complaint(unit === "bytes" ? 'must be <size>/<period>, e.g. "200MiB/10m"' : 'must be <count>/<period>, e.g. "10/1m"');
    }
    return { capacity, periodMs };
  };

const nonEmpty: Parser<string> = (text) => text.trim() || new Complaint("must not be empty");

const OPTIONS: { [K in keyof Config]: Option<K> }[keyof Config][] = [
  { key: "port", env: "PARLEY_PORT", flag: "--port", default: 3000, parse: int(0, 65535), help: "TCP port to listen on (0 picks a free one)" },
  { key: "host", env: "PARLEY_HOST", flag: "--host", default: "0.0.0.0", parse: nonEmpty, help: "address to listen on" },
  {
    key: "dataDir",
    env: "PARLEY_DATA_DIR",
    flag: "--data-dir",
    default: "./data",
    parse: nonEmpty,
    help: "where the database, uploads and generated secret live",
  },
  {
    key: "jwtSecret",
    env: "PARLEY_JWT_SECRET",
    default: null,
    parse: (t) => (t.length >= 32 ? t : new Complaint("must be at least 32 characters")),
    help: "token signing secret; generated and kept in the data dir when unset",
  },
  { key: "accessTtlMs", env: "PARLEY_ACCESS_TTL", default: 40 * 60_000, parse: duration(false), help: "lifetime of an access token" },
  { key: "refreshTtlMs", env: "PARLEY_REFRESH_TTL", default: 7 * 86_400_000, parse: duration(false), help: "lifetime of a refresh token" },
  { key: "corsOrigins", env: "PARLEY_CORS_ORIGINS", default: [], parse: parseOrigins, help: "comma-separated origins allowed by CORS; none by default" },
  { key: "maxUploadBytes", env: "PARLEY_MAX_UPLOAD_BYTES", default: 25 * 1024 ** 2, parse: size, help: "largest accepted upload" },
  { key: "maxJsonBytes", env: "PARLEY_MAX_JSON_BYTES", default: 1024 ** 2, parse: size, help: "largest accepted JSON or form body" },
  { key: "fileTtlMs", env: "PARLEY_FILE_TTL", default: 10 * 86_400_000, parse: duration(true), help: 'how long uploads are kept ("0" keeps them forever)' },
  { key: "fileUrlTtlMs", env: "PARLEY_FILE_URL_TTL", default: 15 * 60_000, parse: duration(false), help: "lifetime of a signed download URL" },
  {
    key: "databaseUrl",
    env: "PARLEY_DATABASE_URL",
    default: null,
    parse: (t) => (/^postgres(ql)?:\/\/\S+$/.test(t.trim()) ? t.trim() : new Complaint('must be a URL like "postgres://parley@127.0.0.1:5432/parley"')),
    help: "PostgreSQL to store everything in instead of SQLite in the data dir (unset: SQLite)",
  },
  { key: "databasePoolSize", env: "PARLEY_DATABASE_POOL", default: 10, parse: int(1, 1000), help: "connections to PostgreSQL per node, at most" },
  {
    key: "readWorkers",
    env: "PARLEY_READ_WORKERS",
    default: 2,
    parse: int(0, 64),
    help: "SQLite: worker threads for heavy reads (search, conversation lists, history pages, listings), off the event loop (0: on it)",
  },
  {
    key: "redisUrl",
    env: "PARLEY_REDIS_URL",
    default: null,
    parse: (t) => (/^rediss?:\/\/\S+$/.test(t.trim()) ? t.trim() : new Complaint('must be a URL like "redis://127.0.0.1:6379"')),
    help: "Redis for events between nodes sharing one database (unset: one node)",
  },
  {
    key: "logPollMs",
    env: "PARLEY_LOG_POLL",
    default: 1_000,
    parse: duration(true),
    help: 'with Redis: how often a node reads the event log for events whose announcement it missed ("0": never; for tests and diagnosis)',
  },
  {
    key: "messageRetentionMs",
    env: "PARLEY_MESSAGE_RETENTION",
    default: 0,
    parse: duration(true),
    help: 'delete messages and their files older than this, e.g. "365d" ("0" keeps them forever; groups may set a shorter retention_days)',
  },
  {
    key: "sweepIntervalMs",
    env: "PARLEY_SWEEP_INTERVAL",
    default: 60_000,
    parse: duration(false),
    help: "how often housekeeping (expired files, tokens) runs",
  },
  {
    key: "passwordMemoryKib",
    env: "PARLEY_PASSWORD_MEMORY_KIB",
    default: 19_456,
    parse: int(1024, 4 * 1024 * 1024),
    help: "argon2id memory cost in KiB (OWASP minimum: 19456)",
  },
  { key: "passwordTimeCost", env: "PARLEY_PASSWORD_TIME_COST", default: 2, parse: int(1, 100), help: "argon2id iterations (OWASP minimum: 2)" },
  {
    key: "durability",
    env: "PARLEY_DURABILITY",
    default: "normal",
    parse: oneOf("normal", "full"),
    help: '"normal": a process crash loses nothing acknowledged; "full": fsync on every commit, power loss loses nothing',
  },
  {
    key: "metricsToken",
    env: "PARLEY_METRICS_TOKEN",
    default: null,
    parse: (t) => (t.length >= 16 ? t : new Complaint("must be at least 16 characters")),
    help: "when set, /metrics requires Authorization: Bearer <token>",
  },
  {
    key: "wsIdleTimeoutMs",
    env: "PARLEY_WS_IDLE_TIMEOUT",
    default: 60_000,
    parse: durationWithin(1000, 960_000, "1s to 16m"),
    help: "idle WebSockets are pinged, and closed when they stop answering for this long",
  },
  {
    key: "httpIdleTimeoutMs",
    env: "PARLEY_HTTP_IDLE_TIMEOUT",
    default: 30_000,
    parse: durationWithin(1000, 255_000, "1s to 255s"),
    help: "an HTTP connection idle this long, or a request body still arriving after it (Slowloris), is closed",
  },
  { key: "rateLimits", env: "PARLEY_RATE_LIMITS", default: true, parse: onOff, help: '"off" turns every rate limit and flood control off (benchmarks)' },
  {
    key: "pushAllowHttp",
    env: "PARLEY_PUSH_ALLOW_HTTP",
    default: false,
    parse: onOff,
    help: '"on" accepts http:// Web Push endpoints (a local stand-in push service in tests); real ones are https',
  },
  {
    key: "pushSubject",
    env: "PARLEY_PUSH_SUBJECT",
    default: "mailto:push@parley.invalid",
    parse: (text) =>
      /^(mailto:\S+@\S+|https:\/\/\S+)$/.test(text.trim()) ? text.trim() : new Complaint('must be a mailto: or https: URL, e.g. "mailto:admin@example.com"'),
    help: "Web Push: the contact (mailto: or https:) push services see in every request's VAPID token",
  },
  {
    key: "trustProxy",
    env: "PARLEY_TRUST_PROXY",
    default: false,
    parse: onOff,
    help: '"on" behind a reverse proxy: the client address is the last X-Forwarded-For entry',
  },
  {
    key: "limitLoginIp",
    env: "PARLEY_LIMIT_LOGIN_IP",
    default: { capacity: 10, periodMs: 60_000 },
    parse: rate("count"),
    help: "logins per client address: burst/refill period",
  },
  {
    key: "limitLoginAccount",
    env: "PARLEY_LIMIT_LOGIN_ACCOUNT",
    default: { capacity: 5, periodMs: 300_000 },
    parse: rate("count"),
    help: "logins per email tried: burst/refill period",
  },
  {
    key: "limitRegisterIp",
    env: "PARLEY_LIMIT_REGISTER_IP",
    default: { capacity: 5, periodMs: 600_000 },
    parse: rate("count"),
    help: "registrations per client address: burst/refill period",
  },
  {
    key: "limitRegisterAccount",
    env: "PARLEY_LIMIT_REGISTER_ACCOUNT",
    default: { capacity: 3, periodMs: 600_000 },
    parse: rate("count"),
    help: "registration attempts per email: burst/refill period",
  },
  {
    key: "limitRefreshIp",
    env: "PARLEY_LIMIT_REFRESH_IP",
    default: { capacity: 30, periodMs: 60_000 },
    parse: rate("count"),
    help: "token refreshes per client address: burst/refill period",
  },
  {
    key: "limitRefreshAccount",
    env: "PARLEY_LIMIT_REFRESH_ACCOUNT",
    default: { capacity: 10, periodMs: 60_000 },
    parse: rate("count"),
    help: "token refreshes per user: burst/refill period",
  },
  {
    key: "limitSend",
    env: "PARLEY_LIMIT_SEND",
    default: { capacity: 20, periodMs: 4_000 },
    parse: rate("count"),
    help: "message sends per user (REST and WebSocket): burst/refill period",
  },
  {
    key: "limitUploadBytes",
    env: "PARLEY_LIMIT_UPLOAD_BYTES",
    default: { capacity: 200 * 1024 ** 2, periodMs: 600_000 },
    parse: rate("bytes"),
    help: "uploaded bytes per user: burst/refill period",
  },
  {
    key: "limitSearch",
    env: "PARLEY_LIMIT_SEARCH",
    default: { capacity: 30, periodMs: 60_000 },
    parse: rate("count"),
    help: "searches per user: burst/refill period",
  },
  {
    key: "limitWebhook",
    env: "PARLEY_LIMIT_WEBHOOK",
    default: { capacity: 20, periodMs: 20_000 },
    parse: rate("count"),
    help: "posts per incoming webhook: burst/refill period",
  },
  {
    key: "webhookAllowPrivate",
    env: "PARLEY_WEBHOOK_ALLOW_PRIVATE",
    default: false,
    parse: onOff,
    help: '"on" lets outgoing webhooks reach loopback, private and link-local addresses (on-premises receivers)',
  },
  {
    key: "webhookGiveUpMs",
    env: "PARLEY_WEBHOOK_GIVE_UP",
    default: 86_400_000,
    parse: duration(false),
    help: "how long an outgoing webhook delivery is retried before the webhook is disabled",
  },
  {
    key: "webhookRetryMs",
    env: "PARLEY_WEBHOOK_RETRY",
    default: 10_000,
    parse: duration(false),
    help: "the first retry delay of an outgoing webhook delivery (doubling up to an hour)",
  },
  { key: "logLevel", env: "PARLEY_LOG_LEVEL", default: "info", parse: oneOf("debug", "info", "warn", "error", "silent"), help: "log verbosity" },
];

function parseOrigins(text: string): string[] | Complaint {
  const origins = text
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  const bad = origins.find((o) => o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o));
  return bad ? new Complaint(`"${bad}" is not an origin like https://chat.example.com`) : origins;
}

/** Builds the configuration from flags (which win) and environment variables; throws ConfigError listing every problem. */
export function loadConfig(args: string[] = [], env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const option = OPTIONS.find((o) => o.flag === name);
    if (!option) {
      problems.push(`unknown option ${name}`);
      if (inline === undefined && args[i + 1] !== undefined && !args[i + 1]!.startsWith("-")) i++; // its value
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) problems.push(`${name} needs a value`);
    else flags.set(name, value);
  }
  const config = {} as Record<keyof Config, unknown>;
  for (const option of OPTIONS) {
    const fromFlag = option.flag ? flags.get(option.flag) : undefined;
    const raw = fromFlag ?? env[option.env];
    if (raw === undefined || raw === "") {
      config[option.key] = option.default;
      continue;
    }
    const parsed = option.parse(raw);
    if (parsed instanceof Complaint) problems.push(`${fromFlag !== undefined ? option.flag : option.env} ${parsed.text}`);
    else config[option.key] = parsed;
  }
  if (problems.length) throw new ConfigError(problems);
  const result = { ...(config as unknown as Config), ...overrides };
  result.dataDir = resolve(result.dataDir);
  return result;
}

/** The configuration table, for --help. */
export function describeOptions(): string {
  return OPTIONS.map(
    (o) => `${`  ${(o.flag ? `${o.flag}, ` : "") + o.env}`.padEnd(40)} ${o.help} (default: ${o.key === "jwtSecret" ? "generated" : formatDefault(o.default)})`,
  ).join("\n");
}

function formatDefault(value: unknown): string {
  if (value === null) return "unset";
  if (Array.isArray(value)) return value.length ? value.join(",") : "none";
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "object" && value && "capacity" in value) {
    const { capacity, periodMs } = value as Rate;
    return `${capacity >= 1024 ** 2 && capacity % 1024 ** 2 === 0 ? `${capacity / 1024 ** 2}MiB` : capacity}/${formatDuration(periodMs)}`;
  }
  return String(value);
}
