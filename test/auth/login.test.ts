// Logging in (/api/login/, /api/token/), rotating refresh tokens, and logging out.
import { describe, expect, test } from "bun:test";
import { decodeJwt, makeApp, registerUser, type ApiResponse } from "../helpers";

const { parley, api } = await makeApp();

const isRevoked = async (token: string) =>
  !!(await parley.ctx.db.selectFrom("revoked_tokens").select("jti").where("jti", "=", decodeJwt(token).payload.jti).executeTakeFirst());
const protectedWith = (token: string) => api("GET", "/api/users/protected/", { token });

function expectInvalidCredentials(response: ApiResponse) {
  expect(response.status).toBe(401);
  expect(response.body).toEqual({ detail: "Invalid email or password", error: "Invalid email or password", code: "invalid_credentials" });
}

describe.each(["/api/login/", "/api/token/"])("POST %s", (path) => {
  test("answers 200 {refresh, access, email, name, id} for the right email and password", async () => {
    const user = await registerUser(api, "login");
    const response = await api("POST", path, { body: { email: user.email, password: user.password } });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(["access", "email", "id", "name", "refresh"]);
    expect(response.body).toMatchObject({ email: user.email, name: "login Test", id: user.id });
    expect(decodeJwt(response.body.access).payload).toMatchObject({ token_type: "access", user_id: user.id });
    expect(decodeJwt(response.body.refresh).payload).toMatchObject({ token_type: "refresh", user_id: user.id });
    expect((await protectedWith(response.body.access)).status).toBe(200);
  });

  test("matches the email case-insensitively and accepts a form-encoded body", async () => {
    const user = await registerUser(api, "caseless");
    const upper = await api("POST", path, { body: { email: user.email.toUpperCase(), password: user.password } });
    expect(upper.status).toBe(200);
    expect(upper.body.id).toBe(user.id);
    const form = new URLSearchParams({ email: user.email, password: user.password }).toString();
    const formLogin = await api("POST", path, { body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(formLogin.status).toBe(200);
    expect(formLogin.body.id).toBe(user.id);
  });

  test("a wrong password and an unknown email get the same 401, which echoes neither", async () => {
    const user = await registerUser(api, "enum");
    const wrongPassword = await api("POST", path, { body: { email: user.email, password: "Wrong-Password-123" } });
    const unknownEmail = await api("POST", path, { body: { email: "nobody-here@example.com", password: user.password } });
    expectInvalidCredentials(wrongPassword);
    expectInvalidCredentials(unknownEmail);
    expect(wrongPassword.body).toEqual(unknownEmail.body);
    expect(wrongPassword.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(JSON.stringify(wrongPassword.body)).not.toContain("Wrong-Password-123");
    expect(JSON.stringify(unknownEmail.body)).not.toContain("nobody-here");
  });

  test("an inactive account cannot log in, even with the right password (same 401)", async () => {
    const user = await registerUser(api, "inactive");
    await parley.ctx.db.updateTable("users").set({ is_active: 0 }).where("id", "=", user.id).execute();
    expectInvalidCredentials(await api("POST", path, { body: { email: user.email, password: user.password } }));
  });

  test("missing or mistyped fields are a 400 naming the field", async () => {
    const noPassword = await api("POST", path, { body: { email: "a@example.com" } });
    expect(noPassword.status).toBe(400);
    expect(noPassword.body).toEqual({ password: ["This field is required."] });
    const none = await api("POST", path, { body: {} });
    expect(none.status).toBe(400);
    expect(Object.keys(none.body).sort()).toEqual(["email", "password"]);
    const wrongType = await api("POST", path, { body: { email: ["a@example.com"], password: 12345678 } });
    expect(wrongType.status).toBe(400);
    expect(Object.keys(wrongType.body).sort()).toEqual(["email", "password"]);
    expect(JSON.stringify(wrongType.body)).not.toContain("12345678");
  });
});

describe("POST /api/token/refresh/", () => {
  test("rotates: a new pair, and the old refresh token is blacklisted", async () => {
    const user = await registerUser(api, "rotate");
    const first = await api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(["access", "refresh"]);
    expect(first.body.refresh).not.toBe(user.refresh);
    expect(first.body.access).not.toBe(user.access);
    expect(await isRevoked(user.refresh)).toBe(true);
    expect((await protectedWith(first.body.access)).status).toBe(200);

    const next = await api("POST", "/api/token/refresh/", { body: { refresh: first.body.refresh } });
    expect(next.status).toBe(200);
    // The access token issued alongside the old refresh token is not touched by the rotation.
    expect((await protectedWith(user.access)).status).toBe(200);

    // Using a spent one again is refused, and ends the login (see refresh-reuse.test.ts).
    const again = await api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } });
    expect(again.status).toBe(401);
    expect(again.body.detail).toStartWith("Token is blacklisted");
    expect(again.headers.get("www-authenticate")).toStartWith("Bearer");
  });

  test("of two concurrent uses of one refresh token, exactly one wins", async () => {
    const user = await registerUser(api, "race");
    const results = await Promise.all([1, 2, 3].map(() => api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  test("refuses an access token, garbage, and a missing token", async () => {
    const user = await registerUser(api, "refusals");
    const access = await api("POST", "/api/token/refresh/", { body: { refresh: user.access } });
    expect(access.status).toBe(401);
    expect(access.body.detail).toBe("Token has wrong type");
    const garbage = await api("POST", "/api/token/refresh/", { body: { refresh: "garbage.garbage.garbage" } });
    expect(garbage.status).toBe(401);
    expect(garbage.body).toMatchObject({ detail: "Token is invalid or expired", code: "token_not_valid" });
    const missing = await api("POST", "/api/token/refresh/", { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ refresh: ["This field is required."] });
    expect(await isRevoked(user.access)).toBe(false);
  });

  test("refuses the refresh token of an inactive or deleted account", async () => {
    const inactive = await registerUser(api, "inactiveRefresh");
    await parley.ctx.db.updateTable("users").set({ is_active: 0 }).where("id", "=", inactive.id).execute();
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: inactive.refresh } })).status).toBe(401);

    const deleted = await registerUser(api, "deletedRefresh");
    expect((await api("DELETE", `/api/${deleted.id}/delete/`, { token: deleted.access })).status).toBe(204);
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: deleted.refresh } })).status).toBe(401);
  });
});

describe("POST /api/logout/", () => {
  test("answers 200 and ends that refresh token and that access token, but not other sessions", async () => {
    const user = await registerUser(api, "logout");
    const other = await api("POST", "/api/login/", { body: { email: user.email, password: user.password } });
    expect(other.status).toBe(200);

    const response = await api("POST", "/api/logout/", { token: user.access, body: { refresh: user.refresh } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Logged out successfully" });
    expect(await isRevoked(user.refresh)).toBe(true);
    expect(await isRevoked(user.access)).toBe(true);

    expect((await protectedWith(user.access)).status).toBe(401);
    const refresh = await api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } });
    expect(refresh.status).toBe(401);
    expect(refresh.body.detail).toStartWith("Token is blacklisted");

    expect((await protectedWith(other.body.access)).status).toBe(200);
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: other.body.refresh } })).status).toBe(200);
  });

  test("a refresh token of another user is 403 and stays valid", async () => {
    const alice = await registerUser(api, "alice");
    const bob = await registerUser(api, "bob");
    const response = await api("POST", "/api/logout/", { token: alice.access, body: { refresh: bob.refresh } });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe("forbidden");
    expect(await isRevoked(bob.refresh)).toBe(false);
    expect(await isRevoked(alice.access)).toBe(false);
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: bob.refresh } })).status).toBe(200);
    expect((await protectedWith(alice.access)).status).toBe(200);
  });

  test("garbage, an access token in place of the refresh token, or none: 400 naming refresh, nothing revoked", async () => {
    const user = await registerUser(api, "garbage");
    for (const body of [{ refresh: "garbage" }, { refresh: user.access }, {}, { refresh: "" }]) {
      const response = await api("POST", "/api/logout/", { token: user.access, body });
      expect(response.status).toBe(400);
      expect(Object.keys(response.body)).toEqual(["refresh"]);
      expect(response.body.refresh).toHaveLength(1);
    }
    expect(await isRevoked(user.access)).toBe(false);
    expect((await protectedWith(user.access)).status).toBe(200);
  });

  test("needs a valid access token, checked before the body", async () => {
    const user = await registerUser(api, "anonymous");
    const anonymous = await api("POST", "/api/logout/", { body: { refresh: user.refresh } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toStartWith("Bearer");
    const anonymousNoBody = await api("POST", "/api/logout/", { body: {} });
    expect(anonymousNoBody.status).toBe(401);
    expect(await isRevoked(user.refresh)).toBe(false);
  });

  test("logging out with an already rotated refresh token still ends the access token", async () => {
    const user = await registerUser(api, "rotated");
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } })).status).toBe(200);
    const response = await api("POST", "/api/logout/", { token: user.access, body: { refresh: user.refresh } });
    expect(response.status).toBe(200);
    expect((await protectedWith(user.access)).status).toBe(401);
  });
});

describe("GET /api/users/protected/", () => {
  test("answers {message: 'Access granted!', email} for the token's user", async () => {
    const user = await registerUser(api, "protected");
    const response = await protectedWith(user.access);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Access granted!", email: user.email });
  });
});
