// Bad requests of every kind get a 4xx JSON error in the API's shape: never a 500, never an HTML page,
// never an echo of what was submitted. Body limits are checked over a real socket (app.handle skips Bun's).
import { describe, expect, test } from "bun:test";
import { checkedFetch, listen, makeApp, registerUser, type ApiResponse } from "../helpers";

const { api } = await makeApp();
const user = await registerUser(api, "errors");

/** A 4xx JSON answer: a field map, or {detail, error, code}. */
function expectJsonError(response: ApiResponse, status?: number, label = "") {
  if (status !== undefined) expect(response.status, label).toBe(status);
  expect(response.status, label).toBeGreaterThanOrEqual(400);
  expect(response.status, label).toBeLessThan(500);
  expect(response.headers.get("content-type"), label).toContain("application/json");
  expect(typeof response.body, label).toBe("object");
  expect(response.body, label).not.toBeNull();
  if ("detail" in response.body) {
    expect(Object.keys(response.body).sort(), label).toEqual(["code", "detail", "error"]);
    expect(typeof response.body.code, label).toBe("string");
  } else {
    for (const [field, messages] of Object.entries(response.body)) {
      expect(Array.isArray(messages), `${label} ${field}`).toBe(true);
      for (const message of messages as unknown[]) expect(typeof message, `${label} ${field}`).toBe("string");
    }
  }
}

test("GET /healthz answers 200 {status: ok}", async () => {
  const response = await api("GET", "/healthz");
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ status: "ok" });
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
});

describe("error shapes", () => {
  test("field errors are {field: [message]}", async () => {
    const response = await api("POST", "/api/register/", { body: { username: "shape", email: "shape@example.com" } });
    expectJsonError(response, 400);
    expect(response.body).toEqual({ password: ["This field is required."] });
  });

  test("other errors are {detail, error, code}", async () => {
    const response = await api("GET", "/api/users/protected/");
    expectJsonError(response, 401);
    expect(response.body).toEqual({
      detail: "Authentication credentials were not provided.",
      error: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });
});

describe("bad requests", () => {
  test("malformed JSON is a 400", async () => {
    for (const body of ['{"email": ', "{email: 'x'}", "[1, 2", "\u0000", "{}}"]) {
      const response = await api("POST", "/api/login/", { body, headers: { "content-type": "application/json" } });
      expectJsonError(response, 400, body);
      expect(response.body.code).toBe("bad_request");
    }
  });

  test("JSON that is not an object is a 400", async () => {
    for (const body of ["null", "[]", "42", '"text"', "true"]) {
      const response = await api("POST", "/api/register/", { body, headers: { "content-type": "application/json" } });
      expectJsonError(response, 400, body);
    }
  });

  test("wrong content types are a 4xx", async () => {
    const cases: [string, string | undefined][] = [
      ["text/plain", "email=a@example.com&password=x"],
      ["application/xml", "<login><email>a@example.com</email></login>"],
      ["application/octet-stream", "\u0001\u0002\u0003"],
      ["image/png", "not really a png"],
      ["application/json; charset=utf-16", '{"email": "a@example.com"}'],
      ["multipart/form-data", "no boundary here"],
      ["application/x-www-form-urlencoded", "%%%=%%%"],
    ];
    for (const [type, body] of cases) {
      const response = await api("POST", "/api/login/", { body, headers: { "content-type": type } });
      expectJsonError(response, undefined, type);
    }
    const noType = await api("POST", "/api/register/", { body: '{"username": "x"}' });
    expectJsonError(noType, 400, "no content-type");
    const noBody = await api("POST", "/api/register/");
    expectJsonError(noBody, 400, "no body");
  });

  test("wrong types name the field", async () => {
    const response = await api("POST", "/api/register/", { body: { username: { $gt: "" }, email: 5, password: null, first_name: true } });
    expectJsonError(response, 400);
    expect(Object.keys(response.body).sort()).toEqual(["email", "first_name", "password", "username"]);
    const patch = await api("PATCH", `/api/${user.id}/update/`, { token: user.access, body: { first_name: 42, email: ["x@example.com"] } });
    expectJsonError(patch, 400);
    expect(Object.keys(patch.body).sort()).toEqual(["email", "first_name"]);
  });

  test("unknown routes and methods are a JSON 404 (or 401 where a login comes first)", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["GET", "/api/nope/deeper/"],
      ["POST", "/api/nope/"],
      ["DELETE", "/healthz"],
      ["PUT", "/api/login/"],
      ["GET", "/index.php"],
      ["GET", "/api"],
    ]) {
      const response = await api(method!, path!, { token: user.access });
      expectJsonError(response, 404, `${method} ${path}`);
      expect(response.body).toEqual({ detail: "Not found.", error: "Not found.", code: "not_found" });
    }
    // GET /api/login/ looks like GET /api/{user_id}/: refused before anything else is said about it.
    expectJsonError(await api("GET", "/api/login/"), 401);
    expectJsonError(await api("GET", "/api/login/", { token: user.access }), 404);
  });

  test("nothing is echoed back: register with a 3-character password and a bad email", async () => {
    const response = await api("POST", "/api/register/", { body: { username: "echo", email: "nope-at-nowhere", password: "p@1" } });
    expectJsonError(response, 400);
    const text = JSON.stringify(response.body);
    expect(text).not.toContain("p@1");
    expect(text).not.toContain("nope-at-nowhere");
    const form = await api("POST", "/api/register/", {
      body: new URLSearchParams({ username: "echo", email: "form-nope-at-nowhere", password: "p@1" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectJsonError(form, 400);
    expect(JSON.stringify(form.body)).not.toContain("form-nope-at-nowhere");
    expect(JSON.stringify(form.body)).not.toContain("p@1");
  });

  test("nothing is echoed back: bad tokens and wrong passwords", async () => {
    const token = "eyJhbGciOiJub25lIn0.eyJzZWNyZXQiOiJ6enRvcCJ9.";
    const refresh = await api("POST", "/api/token/refresh/", { body: { refresh: token } });
    expectJsonError(refresh, 401);
    expect(JSON.stringify(refresh.body)).not.toContain(token);
    const logout = await api("POST", "/api/logout/", { token: user.access, body: { refresh: token } });
    expectJsonError(logout, 400);
    expect(JSON.stringify(logout.body)).not.toContain(token);
    const login = await api("POST", "/api/login/", { body: { email: user.email, password: "wrong-Secret-77" } });
    expectJsonError(login, 401);
    expect(JSON.stringify(login.body)).not.toContain("wrong-Secret-77");
  });

  test("odd but well-formed inputs never cause a 500", async () => {
    const bodies: unknown[] = [
      { username: "ünïcödé", email: "ü@exämple.com", password: "🔑".repeat(8) },
      { username: "a".repeat(10_000), email: "a@example.com", password: "x".repeat(2000) },
      { email: "a@example.com", password: "x".repeat(100_000) },
      { username: "nested", email: "n@example.com", password: "longenough", first_name: { a: { b: { c: [1, 2, 3] } } } },
      { username: "proto", email: "p@example.com", password: "longenough", __proto__: { is_staff: 1 }, constructor: { prototype: { is_staff: 1 } } },
    ];
    for (const body of bodies) {
      for (const path of ["/api/register/", "/api/login/", "/api/token/", "/api/token/refresh/"]) {
        const response = await api("POST", path, { body });
        expect(response.status, path).toBeLessThan(500);
        expect(response.headers.get("content-type"), path).toContain("application/json");
      }
      const patch = await api("PATCH", `/api/${user.id}/update/`, { token: user.access, body });
      expect(patch.status).toBeLessThan(500);
      expect(patch.headers.get("content-type")).toContain("application/json");
    }
    const deep = "[".repeat(5000) + "]".repeat(5000);
    expectJsonError(await api("POST", "/api/login/", { body: deep, headers: { "content-type": "application/json" } }), 400);
  });
});

describe("body limits over a real socket", async () => {
  const { api: http, server } = await listen({ maxJsonBytes: 1024, maxUploadBytes: 4096 });
  const big = (n: number) => ({ username: "u".repeat(n), email: "big@example.com", password: "long enough" });

  test("a JSON or form body over PARLEY_MAX_JSON_BYTES is a JSON 413", async () => {
    const json = await http("POST", "/api/register/", { body: big(2048) });
    expectJsonError(json, 413);
    expect(json.body.code).toBe("payload_too_large");
    const form = await http("POST", "/api/login/", {
      body: new URLSearchParams({ email: "a@example.com", password: "x".repeat(2048) }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectJsonError(form, 413);
    // Just under the limit is parsed (and refused for what it says, not for its size).
    const under = await http("POST", "/api/register/", { body: big(900) });
    expect(under.status).toBe(400);
    expect(Object.keys(under.body)).toEqual(["username"]);
    expect(await server.parley.ctx.db.selectFrom("users").select("id").execute()).toEqual([]);
  });

  test("a chunked body (no Content-Length) over the limit is a 413 too", async () => {
    const text = JSON.stringify(big(8000));
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < text.length; i += 500) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 500)));
        controller.close();
      },
    });
    const response = await checkedFetch(`${server.url}/api/register/`, { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect((await response.json()).code).toBe("payload_too_large");
  });

  test("a small chunked body is still parsed as usual", async () => {
    const text = JSON.stringify({ username: "chunky", email: "chunky@example.com", password: "chunky password" });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text.slice(0, 10)));
        controller.enqueue(new TextEncoder().encode(text.slice(10)));
        controller.close();
      },
    });
    const response = await checkedFetch(`${server.url}/api/register/`, { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(response.status).toBe(201);
    expect((await response.json()).user.username).toBe("chunky");
  });

  test("a multipart body over the upload limit is refused with 413 (never a 500 or HTML)", async () => {
    const data = new FormData();
    data.set("username", "huge");
    data.set("file", new Blob(["x".repeat(100_000)]), "big.txt");
    const response = await checkedFetch(`${server.url}/api/register/`, { method: "POST", body: data });
    expect(response.status).toBe(413);
    expect(await response.text()).not.toContain("<");
  });

  test("a multipart register under the limit is refused over the socket with 415 (register takes no file)", async () => {
    const data = new FormData();
    for (const [key, value] of Object.entries({ username: "multi", email: "multi@example.com", password: "multi password" })) data.set(key, value);
    const response = await http("POST", "/api/register/", { body: data });
    expect(response.status).toBe(415);
    expect(response.body.code).toBe("unsupported_media_type");
  });
});

describe("query numbers out of range name their parameter", () => {
  test("?limit=0, ?limit=101, ?page=0 and ?before=0 answer 400 {param: [...]}, not non_field_errors", async () => {
    const group = (await api("POST", "/api/groups/create/", { token: user.access, body: { name: "query numbers", members: [] } })).body.id;
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["page=0", "page"],
      ["before=0", "before"],
      ["limit=5&page=0", "page"],
    ] as const) {
      const response = await api("GET", `/api/messages/${group}/?${query}`, { token: user.access });
      expect(response.status, query).toBe(400);
      expect(Object.keys(response.body), query).toEqual([field]);
    }
    const search = await api("GET", "/api/search/?q=x&limit=0", { token: user.access });
    expect(search.body).toEqual({ limit: ["limit must be from 1 to 100."] });
  });
});
