// How errors of every kind become the API's error shape, in one place.
//   field errors:  400 {"field": ["message", ...]}                        (the original's DRF shape)
//   other errors:  4xx {"detail": "...", "error": "...", "code": "..."}   (`detail` as DRF, `error` as the original's views)
// Bodies never echo submitted values: Elysia's default validation answer repeats them, passwords included.
import type { Static, TSchema } from "@sinclair/typebox";
import type { TypeCheck } from "@sinclair/typebox/compiler";
import { Elysia, ValidationError } from "elysia";
import { AppError, invalidField, RetryLaterError, type ErrorBody, type ErrorCode, type FieldErrors } from "./errors";
import type { Faults } from "./faults";
import { fieldWithNul, NUL_MESSAGE } from "./schemas";
import type { Logger } from "./log";

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { detail: message, error: message, code };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
}

/**
 * An answer whose JSON is already text, carrying the headers the request's hooks set (security headers, request id)
 * itself: a Response returned while `set.headers` holds any is copied by Elysia into a new one, its body as a stream.
 */
export function jsonText(
  set: { headers: Record<string, unknown> },
  json: string,
  { status = 200, headers = {} }: { status?: number; headers?: Record<string, string> } = {},
): Response {
  const response = new Response(json, {
    status,
    headers: { ...(set.headers as Record<string, string>), "content-type": "application/json; charset=utf-8", ...headers },
  });
  for (const name in set.headers) delete set.headers[name];
  return response;
}

/** What an AppError says on every wire (HTTP and both sockets): code, message, field errors, and a 429's wait. */
export interface WireError {
  status: number;
  code: ErrorCode;
  message: string;
  fields: FieldErrors | null;
  /** The wait in whole seconds (as Retry-After) and exactly, for a 429 or a 503. */
  retryAfter: { retry_after: number; retry_after_ms: number } | null;
}

export function wireError(error: AppError): WireError {
  const retryAfter = error instanceof RetryLaterError ? { retry_after: error.retryAfterSeconds, retry_after_ms: error.retryAfterMs } : null;
  return { status: error.status, code: error.code, message: error.message, fields: error.fields ?? null, retryAfter };
}

/** Field errors in one line, for the sockets: "field: message; …" (`named`), or the messages alone (the original's endpoint). */
export function fieldsInOneLine(fields: FieldErrors, named: boolean): string {
  return named
    ? Object.entries(fields)
        .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
        .join("; ")
    : Object.values(fields).flat().join(" ");
}

export function errorResponse(error: AppError): Response {
  const wire = wireError(error);
  const headers: Record<string, string> = {};
  if (wire.status === 401) headers["www-authenticate"] = 'Bearer realm="api"';
  if (wire.retryAfter) headers["retry-after"] = String(wire.retryAfter.retry_after);
  return jsonResponse(wire.status, wire.fields ?? errorBody(wire.code, wire.message), headers);
}

/** Coerced values (query numbers) fail without a path; the failing schema is one of the object's properties. */
function fieldOfSchema(error: ValidationError, schema: unknown): string | undefined {
  const properties = (error.validator as { schema?: { properties?: Record<string, unknown> } } | undefined)?.schema?.properties;
  if (!properties || !schema) return undefined;
  const wanted = JSON.stringify(schema);
  return Object.entries(properties).find(([, candidate]) => candidate === schema || JSON.stringify(candidate) === wanted)?.[0];
}

/**
 * A query number Elysia converted and then found out of range is checked alone, without its name: it is the one
 * query parameter holding that value.
 */
function queryFieldOf(error: ValidationError, request?: Request): string | undefined {
  if (!request || error.type !== "property") return undefined;
  const value = (error as { value?: unknown }).value;
  const url = new URL(request.url);
  const names = [...url.searchParams].filter(([, text]) => text === String(value) || Number(text) === value).map(([name]) => name);
  return new Set(names).size === 1 ? names[0] : undefined;
}

/** Field → messages from a TypeBox validation failure, without the submitted values. */
export function fieldErrors(error: ValidationError, request?: Request): FieldErrors {
  const fields: FieldErrors = Object.create(null); // a field named "constructor" or "__proto__" is just a name here
  for (const issue of error.all as Array<{ path?: string; message?: string; value?: unknown; schema?: { error?: unknown } }>) {
    const field = issue.path?.split("/").filter(Boolean)[0] || fieldOfSchema(error, issue.schema) || queryFieldOf(error, request) || "non_field_errors";
    // A missing field is "required", whatever the field's own message for a bad value says (only `undefined` is looked at, never echoed).
    const missing = issue.message === "Expected required property" || (field !== "non_field_errors" && issue.value === undefined);
    const message = missing ? "This field is required." : typeof issue.schema?.error === "string" ? issue.schema.error : (issue.message ?? "Invalid value.");
    const list = (fields[field] ??= []);
    if (!list.includes(message)) list.push(message);
  }
  return Object.keys(fields).length ? fields : { non_field_errors: ["Invalid input."] };
}

/** A body checked by a compiled schema outside a route (a /ws operation): a failure is the route's 400 with field errors. */
export function validated<T extends TSchema>(check: TypeCheck<T>, value: unknown): Static<T> {
  const nul = fieldWithNul(value);
  if (nul !== null) invalidField(nul || "non_field_errors", NUL_MESSAGE);
  if (check.Check(value)) return value;
  const fields = fieldErrors(new ValidationError("body", check, value));
  throw new AppError(400, "invalid", Object.values(fields)[0]?.[0] ?? "Invalid input.", fields);
}

export function errorHandling(log: Logger, faults: Faults) {
  // Named fields, not the whole context: Elysia parses on every request what any global hook might read (cookies too).
  return new Elysia({ name: "parley-errors" }).error({ AppError }).onError({ as: "global" }, ({ code, error, request, set }) => {
    // Writes outside the group commit (accounts, tokens) meet a full disk too, and reads a database that went away.
    const response = toErrorResponse(log, { code, error: faults.refusal(error), request });
    set.status = response.status; // what the request log and the metrics report
    return response;
  });
}

function toErrorResponse(log: Logger, { code, error, request }: { code: unknown; error: unknown; request: Request }): Response {
  if (error instanceof AppError) return errorResponse(error);
  switch (code) {
    case "VALIDATION":
      // A path id that is not a number names nothing that exists.
      if ((error as ValidationError).type === "params") return jsonResponse(404, errorBody("not_found", "Not found."));
      return jsonResponse(400, fieldErrors(error as ValidationError, request));
    case "PARSE":
      if ((error as Error).cause instanceof AppError) return errorResponse((error as Error).cause as AppError);
      return jsonResponse(400, errorBody("bad_request", "The request body could not be parsed (malformed JSON or form data)."));
    case "NOT_FOUND":
      return jsonResponse(404, errorBody("not_found", "Not found."));
    case "INVALID_FILE_TYPE":
      return jsonResponse(400, errorBody("bad_request", "The file type is not accepted."));
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return jsonResponse(status, errorBody(status === 413 ? "payload_too_large" : "bad_request", "The request was not accepted."));
  }
  log.error("unhandled error", { method: request.method, path: new URL(request.url).pathname, error: String((error as Error)?.stack ?? error) });
  return jsonResponse(500, errorBody("internal", "Internal server error."));
}
