// Bearer tokens: what a valid one looks like, and every way a bad one is refused (401 + WWW-Authenticate).
// Also the signing secret: generated in the data dir when not configured, and reused across restarts.
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { onPostgres } from "../test-database";
import { decodeJwt, handleClient, makeApp, queryRows, registerUser, signJwt, tempDir, testConfig, type Api, type ApiResponse } from "../helpers";

const SECRET = "s".repeat(40);
const { parley, api } = await makeApp({ jwtSecret: SECRET });

const now = () => Math.floor(Date.now() / 1000);
/** Claims as the app issues them, for user `id`, valid for a minute unless overridden. */
const claims = (id: number, extra: Record<string, unknown> = {}) => ({
  token_type: "access",
  user_id: id,
  jti: crypto.randomUUID(),
  iat: now(),
  exp: now() + 60,
  gen: 0,
  ...extra,
});

function expectRefused(response: ApiResponse, detail?: string) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
  expect(response.headers.get("content-type")).toContain("application/json");
  expect(typeof response.body.detail).toBe("string");
  expect(response.body.code).toBeOneOf(["token_not_valid", "not_authenticated"]);
  if (detail) expect(response.body.detail).toBe(detail);
}

const protectedWith = (token: string, client: Api = api) => client("GET", "/api/users/protected/", { headers: { authorization: `Bearer ${token}` } });

describe("a valid access token", () => {
  test("carries the simplejwt-shaped claims plus gen, signed HS256, living PARLEY_ACCESS_TTL", async () => {
    const user = await registerUser(api, "claims");
    const access = decodeJwt(user.access);
    expect(access.header.alg).toBe("HS256");
    expect(access.payload).toMatchObject({ token_type: "access", user_id: user.id, gen: 0 });
    expect(typeof access.payload.jti).toBe("string");
    expect(access.payload.exp - access.payload.iat).toBe(40 * 60);
    const refresh = decodeJwt(user.refresh);
    expect(refresh.payload).toMatchObject({ token_type: "refresh", user_id: user.id, gen: 0 });
    expect(refresh.payload.exp - refresh.payload.iat).toBe(7 * 86_400);
    expect(refresh.payload.jti).not.toBe(access.payload.jti);
  });

  test("lifetimes follow the configuration", async () => {
    const short = await makeApp({ accessTtlMs: 90_000, refreshTtlMs: 3_600_000 });
    const user = await registerUser(short.api, "ttl");
    const access = decodeJwt(user.access).payload;
    const refresh = decodeJwt(user.refresh).payload;
    expect(access.exp - access.iat).toBe(90);
    expect(refresh.exp - refresh.iat).toBe(3600);
  });

  test("opens /api/users/protected/", async () => {
    const user = await registerUser(api, "ok");
    const response = await protectedWith(user.access);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Access granted!", email: user.email });
  });

  test("a token signed here by hand with the app's secret is accepted (so the forged refusals below are meaningful)", async () => {
    const user = await registerUser(api, "forge");
    const response = await protectedWith(signJwt(claims(user.id), SECRET));
    expect(response.status).toBe(200);
    expect(response.body.email).toBe(user.email);
  });
});

describe("a Bearer token is refused with 401 and WWW-Authenticate when it is", () => {
  test("missing", async () => {
    const response = await api("GET", "/api/users/protected/");
    expectRefused(response, "Authentication credentials were not provided.");
    expect(response.body.code).toBe("not_authenticated");
    const profile = await api("GET", "/api/1/");
    expectRefused(profile);
  });

  test("malformed", async () => {
    const user = await registerUser(api, "malformed");
    for (const authorization of [
      "Bearer",
      "Bearer ",
      `Basic ${btoa("a:b")}`,
      `Token ${user.access}`,
      `Bearer ${user.access} extra`,
      "Bearer not-a-jwt",
      "Bearer a.b.c",
      `Bearer ${user.access.slice(0, -2)}`,
      `Bearer ${user.access}.x`,
    ]) {
      const response = await api("GET", "/api/users/protected/", { headers: { authorization } });
      expectRefused(response);
      expect(response.body.code).toBe("token_not_valid");
    }
  });

  test("expired", async () => {
    const user = await registerUser(api, "expired");
    const token = signJwt(claims(user.id, { iat: now() - 3600, exp: now() - 5 }), SECRET);
    expectRefused(await protectedWith(token), "Token is invalid or expired");
  });

  test("badly signed: another secret, or a payload changed after signing", async () => {
    const victim = await registerUser(api, "victim");
    const attacker = await registerUser(api, "attacker");
    expectRefused(await protectedWith(signJwt(claims(victim.id), "t".repeat(40))));
    // The attacker's real token with the payload swapped for the victim's id, signature kept.
    const [header, , signature] = attacker.access.split(".");
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(attacker.access).payload, user_id: victim.id })).toString("base64url");
    expectRefused(await protectedWith(`${header}.${payload}.${signature}`));
  });

  test("signed with another algorithm (HS512 / HS384 with the same secret)", async () => {
    const user = await registerUser(api, "alg");
    expectRefused(await protectedWith(signJwt(claims(user.id), SECRET, "HS512")));
    expectRefused(await protectedWith(signJwt(claims(user.id), SECRET, "HS384")));
  });

  test("alg: none, with or without a signature", async () => {
    const user = await registerUser(api, "none");
    const unsigned = signJwt(claims(user.id), SECRET, "none");
    expectRefused(await protectedWith(unsigned));
    const withSignature = unsigned + signJwt(claims(user.id), SECRET).split(".")[2];
    expectRefused(await protectedWith(withSignature));
    const [, payload, signature] = signJwt(claims(user.id), SECRET).split(".");
    const noneHeader = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    expectRefused(await protectedWith(`${noneHeader}.${payload}.${signature}`));
  });

  test("a refresh token used as an access token", async () => {
    const user = await registerUser(api, "wrongtype");
    expectRefused(await protectedWith(user.refresh), "Token has wrong type");
    expectRefused(await protectedWith(signJwt(claims(user.id, { token_type: "bogus" }), SECRET)));
  });

  test("its claims are not what the app issues (user_id as a string, no jti, no exp)", async () => {
    const user = await registerUser(api, "shape");
    expectRefused(await protectedWith(signJwt(claims(user.id, { user_id: String(user.id) }), SECRET)));
    const { jti: _jti, ...noJti } = claims(user.id);
    expectRefused(await protectedWith(signJwt(noJti, SECRET)));
    const { exp: _exp, ...noExp } = claims(user.id);
    expectRefused(await protectedWith(signJwt(noExp, SECRET)));
  });

  test("blacklisted (logged out)", async () => {
    const user = await registerUser(api, "blacklisted");
    const logout = await api("POST", "/api/logout/", { token: user.access, body: { refresh: user.refresh } });
    expect(logout.status).toBe(200);
    expectRefused(await protectedWith(user.access), "Token is blacklisted");
    const row = await parley.ctx.db.selectFrom("revoked_tokens").selectAll().where("jti", "=", decodeJwt(user.access).payload.jti).executeTakeFirst();
    expect(row?.expires_at).toBe(decodeJwt(user.access).payload.exp * 1000);
  });

  test("from an older token generation (gen must equal users.token_generation)", async () => {
    const user = await registerUser(api, "generation");
    expectRefused(await protectedWith(signJwt(claims(user.id, { gen: 1 }), SECRET)));
    await parley.ctx.db.updateTable("users").set({ token_generation: 1 }).where("id", "=", user.id).execute();
    expectRefused(await protectedWith(user.access), "Token is invalid or expired");
    expect((await protectedWith(signJwt(claims(user.id, { gen: 1 }), SECRET))).status).toBe(200);
  });

  test("for a deleted user, or a user id that never existed", async () => {
    const user = await registerUser(api, "deleted");
    expect((await api("DELETE", `/api/${user.id}/delete/`, { token: user.access })).status).toBe(204);
    expectRefused(await protectedWith(user.access));
    expectRefused(await protectedWith(signJwt(claims(999_999), SECRET)));
  });

  test("for an inactive user", async () => {
    const user = await registerUser(api, "inactive");
    await parley.ctx.db.updateTable("users").set({ is_active: 0 }).where("id", "=", user.id).execute();
    expectRefused(await protectedWith(user.access));
    expectRefused(await api("GET", `/api/${user.id}/`, { token: user.access }));
  });

  test("on every route that needs a login, not only /api/users/protected/", async () => {
    const user = await registerUser(api, "routes");
    const bad = signJwt(claims(user.id), SECRET, "HS512");
    const calls: [string, string][] = [
      ["GET", `/api/${user.id}/`],
      ["PATCH", `/api/${user.id}/update/`],
      ["PUT", `/api/${user.id}/update/`],
      ["DELETE", `/api/${user.id}/delete/`],
      ["POST", "/api/logout/"],
    ];
    for (const [method, path] of calls) {
      expectRefused(await api(method, path, { body: { refresh: user.refresh, first_name: "Changed" }, headers: { authorization: `Bearer ${bad}` } }));
      expectRefused(await api(method, path, { body: { refresh: user.refresh, first_name: "Changed" } }));
    }
    const row = await parley.ctx.db.selectFrom("users").select("first_name").where("id", "=", user.id).executeTakeFirstOrThrow();
    expect(row.first_name).toBe("routes");
  });
});

describe.if(onPostgres)("the signing secret on PostgreSQL", () => {
  test("without PARLEY_JWT_SECRET, the first node stores one in the database; every node on it signs and accepts the same tokens", async () => {
    const config = testConfig({ jwtSecret: null });
    const a = await createApp(config);
    const b = await createApp(config); // a second node on the same database
    try {
      const secret = (await queryRows<{ value: string }>(a, "SELECT value FROM settings WHERE name = 'jwt_secret'"))[0]?.value;
      expect(secret!.length).toBeGreaterThanOrEqual(32);
      expect(await Bun.file(join(config.dataDir, "jwt-secret")).exists()).toBe(false);
      const user = await registerUser(handleClient(a), "shared");
      expect((await protectedWith(user.access, handleClient(b))).status).toBe(200);
      expect((await protectedWith(signJwt(claims(user.id), secret!), handleClient(b))).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("two databases get different secrets, and one's tokens mean nothing to the other", async () => {
    const a = await makeApp({ jwtSecret: null });
    const b = await makeApp({ jwtSecret: null });
    const secretOf = async (app: typeof a) => (await queryRows(app.parley, "SELECT value FROM settings WHERE name = 'jwt_secret'"))[0].value;
    expect(await secretOf(a)).not.toBe(await secretOf(b));
    const userA = await registerUser(a.api, "dbs");
    await registerUser(b.api, "dbs");
    expectRefused(await protectedWith(userA.access, b.api));
  });
});

describe.skipIf(onPostgres)("the signing secret", () => {
  test("without PARLEY_JWT_SECRET, one is generated in <dataDir>/jwt-secret (mode 0600) and survives a restart", async () => {
    const config = testConfig({ jwtSecret: null });
    const first = await createApp(config);
    const user = await registerUser(handleClient(first), "restart");
    await first.close();

    const path = join(config.dataDir, "jwt-secret");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const secret = (await Bun.file(path).text()).trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);

    const second = await createApp(config);
    try {
      const response = await protectedWith(user.access, handleClient(second));
      expect(response.status).toBe(200);
      expect(response.body.email).toBe(user.email);
      expect((await Bun.file(path).text()).trim()).toBe(secret);
      // The file is the key: a token signed with its content is accepted.
      expect((await protectedWith(signJwt(claims(user.id), secret), handleClient(second))).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  test("two data dirs get different secrets, and one app's tokens mean nothing to the other", async () => {
    const a = await makeApp({ jwtSecret: null });
    const b = await makeApp({ jwtSecret: null });
    const secretA = (await Bun.file(join(a.config.dataDir, "jwt-secret")).text()).trim();
    const secretB = (await Bun.file(join(b.config.dataDir, "jwt-secret")).text()).trim();
    expect(secretA).not.toBe(secretB);
    const userA = await registerUser(a.api, "dirs");
    await registerUser(b.api, "dirs"); // b has a user with the same id
    expectRefused(await protectedWith(userA.access, b.api));
  });

  test("a configured secret is used as given and no file is written", async () => {
    const dir = tempDir();
    const app = await makeApp({ jwtSecret: SECRET, dataDir: dir });
    expect(await Bun.file(join(dir, "jwt-secret")).exists()).toBe(false);
    const user = await registerUser(app.api, "configured");
    expect((await protectedWith(signJwt(claims(user.id), SECRET), app.api)).status).toBe(200);
  });

  test("a too-short secret file is refused at start", async () => {
    const config = testConfig({ jwtSecret: null });
    await Bun.write(join(config.dataDir, "jwt-secret"), "short\n");
    await expect(createApp(config)).rejects.toThrow(/shorter than 32/);
  });
});
