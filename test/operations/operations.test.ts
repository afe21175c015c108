// Health, readiness, metrics, request ids and request logs.
import { describe, expect, test } from "bun:test";
import { afterAll } from "bun:test";
import { createApp } from "../../src/app";
import { createLogger } from "../../src/lib/log";
import { handleClient, listen, registerUser, testConfig } from "../helpers";

describe("health, readiness, metrics, request ids and logs", async () => {
  const lines: string[] = [];
  const parley = await createApp(testConfig({ logLevel: "info" }), { log: createLogger("info", (line) => lines.push(line)) });
  afterAll(() => parley.close());
  const api = handleClient(parley);

  test("/healthz is alive; /readyz is ready, and 503 once shutdown begins", async () => {
    expect(await api("GET", "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await api("GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
    parley.ctx.lifecycle.draining = true;
    const draining = await api("GET", "/readyz");
    parley.ctx.lifecycle.draining = false;
    expect(draining.status).toBe(503);
    expect(draining.body).toEqual({ status: "unavailable", reason: "shutting down" });
  });

  test("every answer carries an X-Request-Id; a sane one given by the client is kept", async () => {
    for (const path of ["/healthz", "/nope", "/api/users/protected/"]) {
      const answer = await api("GET", path);
      expect(answer.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await api("GET", "/healthz", { headers: { "x-request-id": "trace-42" } })).headers.get("x-request-id")).toBe("trace-42");
    expect((await api("GET", "/healthz", { headers: { "x-request-id": "<script>" } })).headers.get("x-request-id")).not.toBe("<script>");
  });

  test("/metrics counts the requests made, by route template and status, in Prometheus text", async () => {
    const user = await registerUser(api, "metrics");
    const group = (await api("POST", "/api/groups/create/", { token: user.access, body: { name: "metrics" } })).body;
    for (let i = 0; i < 3; i++) await api("GET", `/api/messages/${group.id}/`, { token: user.access });
    await api("GET", `/api/messages/${group.id}/`); // 401
    await api("POST", `/api/messages/${group.id}/send/`, { token: user.access, body: { message: "counted" } });
    const answer = await api("GET", "/metrics");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = answer.body as string;
    expect(text).toContain('parley_http_requests_total{method="GET",route="/api/messages/:conversation_id/",status="200"} 3');
    expect(text).toContain('parley_http_requests_total{method="GET",route="/api/messages/:conversation_id/",status="401"} 1');
    expect(text).toMatch(/parley_http_request_duration_seconds_bucket\{route="\/api\/messages\/:conversation_id\/",le="\+Inf"\} 4/);
    expect(text).toMatch(/^parley_messages_stored_total 1$/m);
    expect(text).toMatch(/^parley_websocket_connections 0$/m);
    expect(text).toMatch(/^parley_db_transaction_seconds_count \d+$/m);
    expect(text).toContain("# TYPE parley_http_requests_total counter");
  });

  test("one JSON log line per request, with no token, password or message text in any line", async () => {
    lines.length = 0;
    const user = await registerUser(api, "logged");
    const group = (await api("POST", "/api/groups/create/", { token: user.access, body: { name: "logged" } })).body;
    await api("POST", `/api/messages/${group.id}/send/`, { token: user.access, body: { message: "a very secret message text" } });
    // Lines are written once an answer is on its way, so they can trail the awaits (and earlier tests' lines can trail into this one).
    const mine = () =>
      lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request" && (l.user_id === user.id || l.path === "/api/register/" || l.path === "/api/login/"));
    for (let i = 0; i < 200 && mine().length < 4; i++) await Bun.sleep(5);
    const requests = mine();
    expect(requests.map((r) => r.route).sort()).toEqual(["/api/groups/create/", "/api/login/", "/api/messages/:conversation_id/send/", "/api/register/"]);
    const send = requests.find((r) => r.route === "/api/messages/:conversation_id/send/");
    expect(send).toMatchObject({ level: "info", method: "POST", path: `/api/messages/${group.id}/send/`, status: 201, user_id: user.id });
    expect(send.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof send.duration_ms).toBe("number");
    expect(requests.find((r) => r.route === "/api/register/")).toMatchObject({ status: 201, user_id: null });
    const all = lines.join("\n");
    for (const secret of [user.password, user.access, user.refresh, "a very secret message text"]) expect(all).not.toContain(secret);
  });
});

describe("/metrics behind PARLEY_METRICS_TOKEN", async () => {
  const { api } = await listen({ metricsToken: "a-long-metrics-token" });
  test("needs the token when one is set", async () => {
    expect((await api("GET", "/metrics")).status).toBe(401);
    expect((await api("GET", "/metrics", { headers: { authorization: "Bearer wrong-token-wrong" } })).status).toBe(401);
    expect((await api("GET", "/metrics", { headers: { authorization: "Bearer a-long-metrics-token" } })).status).toBe(200);
  });

  test("wrong tokens of every length are refused; the right one is accepted whatever the scheme's case (compared as digests)", async () => {
    const metrics = (authorization: string) => api("GET", "/metrics", { headers: { authorization } });
    for (const wrong of [
      "Bearer ",
      "Bearer a",
      "Bearer a-long-metrics-toke",
      "Bearer a-long-metrics-tokeN",
      "Bearer a-long-metrics-token-",
      "a-long-metrics-token",
      "Basic a-long-metrics-token",
    ]) {
      const answer = await metrics(wrong);
      expect(answer.status, wrong).toBe(401);
      expect(answer.body).toMatchObject({ code: "not_authenticated" });
    }
    for (const right of ["Bearer a-long-metrics-token", "bearer a-long-metrics-token", "BEARER  a-long-metrics-token"]) {
      const answer = await metrics(right);
      expect(answer.status, right).toBe(200);
      expect(answer.body).toContain("parley_");
    }
  });
});
