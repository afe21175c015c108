// Every HTTP answer gets an X-Request-Id, one JSON log line (request id, method, route, status, duration,
// user id) and its place in the metrics. Never logged: query strings (a WebSocket token may ride there),
// bodies (passwords, message text), headers (tokens).
import { Elysia } from "elysia";
import type { Logger } from "./log";
import type { Metrics } from "./metrics";

/** The path of a URL without parsing it whole (and without its query, where a token may ride). */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  return start < 0 ? "/" : url.slice(start, end < 0 ? undefined : end);
}

const started = new WeakMap<Request, { id: string; at: number }>();
const CLIENT_ID = /^[\w.:-]{1,64}$/;

/** The client's own request id when it sent a sane one, else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && CLIENT_ID.test(given) ? given : crypto.randomUUID();
}

/** Counts and logs one answered request: the same line and metrics for Elysia's routes and Bun's own. */
export function recordRequest(
  log: Logger,
  metrics: Metrics,
  request: Request,
  entry: { id: string; route: string; status: number; seconds: number; userId: number | null },
) {
  metrics.httpRequests.inc({ method: request.method, route: entry.route, status: String(entry.status) });
  metrics.httpDuration.observe(entry.seconds, { route: entry.route });
  log.info("request", {
    request_id: entry.id,
    method: request.method,
    route: entry.route,
    path: pathOf(request.url),
    status: entry.status,
    duration_ms: Math.round(entry.seconds * 100_000) / 100,
    user_id: entry.userId,
  });
}

interface Answered {
  request: Request;
  set: { status?: number | string };
  route?: string;
  responseValue?: unknown;
  /** Set by requireUser on authenticated routes. */
  user?: { id: number };
}

export function observability(log: Logger, metrics: Metrics) {
  return (
    new Elysia({ name: "parley-observability" })
      .onRequest(({ request, set }) => {
        const id = requestIdOf(request);
        started.set(request, { id, at: performance.now() });
        set.headers["x-request-id"] = id;
      })
      // Named fields, not the whole context: Elysia parses on every request what any global hook might read (cookies too).
      .onAfterResponse({ as: "global" }, ({ request, set, route, responseValue, user }: Answered) => {
        const start = started.get(request);
        if (!start) return;
        const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
        const seconds = (performance.now() - start.at) / 1000;
        recordRequest(log, metrics, request, { id: start.id, route: route ?? "unmatched", status, seconds, userId: user?.id ?? null });
      })
  );
}
