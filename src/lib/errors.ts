// The one error type of the service layer. onError in src/lib/http.ts turns it into the API's error shape.
import { t } from "elysia";

/** The stable error codes: clients branch on these, never on the message (both documents list them). */
export const ERROR_CODES = [
  "bad_request",
  "unknown_operation",
  "invalid",
  "not_authenticated",
  "token_not_valid",
  "invalid_credentials",
  "forbidden",
  "insufficient_scope",
  "not_found",
  "conflict",
  "gone",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "unavailable",
  "database_unavailable",
  "insufficient_storage",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The API's error bodies: per-field messages (the original's `{"field": ["message"]}`), or one message with a code. */
export const FieldErrors = t.Record(t.String(), t.Array(t.String()), { title: "FieldErrors" });
export type FieldErrors = typeof FieldErrors.static;
export const ErrorBody = t.Object(
  {
    detail: t.String({ description: "What went wrong, for people." }),
    error: t.String({ description: "The same message (the original's views' key)." }),
    code: t.Union(ERROR_CODES.map((code) => t.Literal(code))),
  },
  { title: "Error" },
);
export type ErrorBody = typeof ErrorBody.static;

/** Error answers a route may give beyond those the document adds from its shape (401, 400, 404, 413, 415): `response: { 200: X, ...errorResponses(403, 409) }`. */
export const errorResponses = <S extends number>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as Record<S, typeof ErrorBody>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Per-field messages: answered as the original's `{"field": ["message"]}` map. */
    readonly fields?: FieldErrors,
  ) {
    super(message);
  }
}

export function badRequest(message: string): never {
  throw new AppError(400, "bad_request", message);
}
/** A 400 naming the field, as the original did: `{"name": ["Group name already exists."]}`. */
export function invalidField(field: string, message: string): never {
  throw new AppError(400, "invalid", message, { [field]: [message] });
}
export function notAuthenticated(message = "Authentication credentials were not provided."): never {
  throw new AppError(401, "not_authenticated", message);
}
export function tokenNotValid(message = "Given token not valid for any token type"): never {
  throw new AppError(401, "token_not_valid", message);
}
export function forbidden(message = "You do not have permission to perform this action."): never {
  throw new AppError(403, "forbidden", message);
}
export function notFound(message = "Not found."): never {
  throw new AppError(404, "not_found", message);
}
export function gone(message: string): never {
  throw new AppError(410, "gone", message);
}
export function payloadTooLarge(message: string): never {
  throw new AppError(413, "payload_too_large", message);
}

/** Whole seconds, rounded up, at least 1: what a Retry-After header says for a wait of `ms`. */
const wholeSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** An error that says how long to wait (a 429, a 503), answered as `Retry-After` (HTTP) or `retry_after` (WebSocket). */
export class RetryLaterError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(status, code, message);
    this.retryAfterSeconds = wholeSeconds(retryAfterMs);
  }
}

export class RateLimitedError extends RetryLaterError {
  constructor(message: string, retryAfterMs: number) {
    super(429, "rate_limited", message, retryAfterMs);
  }
}
export function rateLimited(what: string, retryAfterMs: number): never {
  const seconds = wholeSeconds(retryAfterMs);
  throw new RateLimitedError(`${what} Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`, retryAfterMs);
}
