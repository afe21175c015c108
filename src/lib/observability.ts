// Every HTTP answer gets an X-Request-Id, one JSON log line (request id, method, route, status, duration,
// user id) and its place in the metrics. Never logged: query strings (a WebSocket token may ride there),
// bodies (passwords, message text), headers (tokens).
import { Elysia } from "elysia";
import type { Logger } from "./log";
import type { Metrics } from "./metrics";

/** The path of a URL without parsing it whole (and without its query, where a token may ride). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  return start < 0 ? "/" : url.slice(start, end < 0 ? undefined : end);
}

const started = new WeakMap<Request, { id: string; at: number }>();
const CLIENT_ID = /^[\w.:-]{1,64}$/;

export function observability(log: Logger, metrics: Metrics) {
  return new Elysia({ name: "parley-observability" })
    .onRequest(({ request, set }) => {
      const given = request.headers.get("x-request-id");
      const id = given && CLIENT_ID.test(given) ? given : crypto.randomUUID();
      started.set(request, { id, at: performance.now() });
      set.headers["x-request-id"] = id;
    })
    .onAfterResponse({ as: "global" }, (context) => {
      const { request, set } = context;
      const start = started.get(request);
      if (!start) return;
      const { route, responseValue, user } = context as unknown as { route?: string; responseValue?: unknown; user?: { id: number } };
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      const seconds = (performance.now() - start.at) / 1000;
      const template = route ?? "unmatched";
      metrics.httpRequests.inc({ method: request.method, route: template, status: String(status) });
      metrics.httpDuration.observe(seconds, { route: template });
      log.info("request", {
        request_id: start.id,
        method: request.method,
        route: template,
        path: pathOf(request.url),
        status,
        duration_ms: Math.round(seconds * 100_000) / 100,
        user_id: user?.id ?? null,
      });
    });
}
