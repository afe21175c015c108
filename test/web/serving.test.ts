// The web client as HTTP sees it: the page at "/" with its security headers, its assets, and the API untouched.
import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { listen, registerUser } from "../helpers";

const { server, api } = await listen();
const user = await registerUser(api, "reader");
const get = (path: string, init: RequestInit = {}) => fetch(server.url + path, init);
const page = await get("/");
const html = await page.text();
const assets = [...html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, `${server.url}/`).pathname);

/** The page's gzipped weight (HTML + every asset), the figure README reports: issue #18's budget for the whole chat. */
const GZIP_BUDGET_BYTES = 40 * 1024;

describe("GET /", () => {
  test("like every answer, the page and its assets carry an X-Request-Id and are counted in /metrics", async () => {
    expect(page.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await get("/", { headers: { "x-request-id": "client-chosen-id.1" } });
    expect(mine.headers.get("x-request-id")).toBe("client-chosen-id.1");
    await get(assets[0]!);
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toMatch(/parley_http_requests_total\{method="GET",route="\/",status="200"\} [1-9]/);
    expect(metrics).toContain(`route="${assets[0]}"`);
  });

  test("serves the HTML page with a strict Content-Security-Policy and the security headers", () => {
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html;\s*charset=utf-8$/i);
    expect(html).toContain('<div id="app">');
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const csp = Object.fromEntries(
      page.headers
        .get("content-security-policy")!
        .split(/;\s*/)
        .map((d) => [d.split(" ")[0], d.split(" ").slice(1)]),
    );
    expect(csp["default-src"]).toEqual(["'none'"]);
    expect(csp["script-src"]).toEqual(["'self'"]);
    expect(csp["style-src"]).toEqual(["'self'"]);
    expect(csp["img-src"]).toEqual(["'self'", "blob:"]);
    const host = new URL(server.url).host;
    expect(csp["connect-src"]).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(csp["base-uri"]).toEqual(["'none'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
  });

  test("the page has no inline script or style for the policy to refuse", () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style\b|\sstyle=/);
  });

  test("a forged Host header cannot widen connect-src", async () => {
    const forged = await get("/", { headers: { host: "evil.example'; script-src *" } });
    const csp = forged.headers.get("content-security-policy")!;
    expect(csp).not.toContain("evil");
    expect(csp).toContain("script-src 'self';");
  });

  test("HEAD answers the headers without a body; a matching ETag answers 304", async () => {
    const head = await get("/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const etag = page.headers.get("etag")!;
    expect(etag).toMatch(/^".+"$/);
    const again = await get("/", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("content-security-policy")).toBeTruthy();
  });

  test("every script, stylesheet and icon the page names is served with its type, cached by hash", async () => {
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    let gzipped = gzipSync(html).length;
    for (const path of assets) {
      const asset = await get(path);
      expect(asset.status).toBe(200);
      const type = asset.headers.get("content-type")!;
      if (path.endsWith(".js")) expect(type).toMatch(/^(text|application)\/javascript/);
      if (path.endsWith(".css")) expect(type).toMatch(/^text\/css/);
      if (path.endsWith(".svg")) expect(type).toMatch(/^image\/svg\+xml/);
      expect(asset.headers.get("x-content-type-options")).toBe("nosniff");
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const body = new Uint8Array(await asset.arrayBuffer());
      expect(body.length).toBeGreaterThan(0);
      gzipped += gzipSync(body).length;
    }
    expect(gzipped).toBeLessThan(GZIP_BUDGET_BYTES);
  });

  test("the client's JavaScript never assigns user data as HTML", async () => {
    const script = await (await get(assets.find((a) => a.endsWith(".js"))!)).text();
    expect(script).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/);
  });
});

describe("the API beside the page", () => {
  test("unknown /api paths and other unknown paths are still JSON 404s", async () => {
    // (Anonymous callers of /api/<anything>/ get 401 first: it has the shape of the original's /api/{user_id}/.)
    const paths = [
      ["GET", "/api/nope/"],
      ["GET", "/api/nope/deeper/"],
      ["GET", "/api/"],
      ["POST", "/api/nope"],
      ["GET", "/nope"],
      ["POST", "/"],
      ["GET", "/index.html"],
    ] as const;
    for (const [method, path] of paths) {
      const answer = await get(path, { method, headers: { authorization: `Bearer ${user.access}` } });
      expect(answer.status).toBe(404);
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
      expect((await answer.json()).code).toBe("not_found");
    }
  });

  test("the API and the health check answer as before", async () => {
    const health = await get("/healthz");
    expect(await health.json()).toEqual({ status: "ok" });
    const anonymous = await get("/api/conversations/");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toMatch(/^application\/json/);
  });
});
