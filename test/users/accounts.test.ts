// Accounts: registration, profiles, updates and deletion, and who may do what to whose account.
import { describe, expect, test } from "bun:test";
import { makeApp, registerUser, type TestUser } from "../helpers";

const { parley, api } = await makeApp();
const db = parley.ctx.db;

const userRow = (id: number) => db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
const makeStaff = async (id: number) => {
  await db.updateTable("users").set({ is_staff: 1 }).where("id", "=", id).execute();
  parley.ctx.callers.forget(id); // written behind the API's back (no API makes staff)
};
const login = (email: string, password: string) => api("POST", "/api/login/", { body: { email, password } });
const protectedWith = (token: string) => api("GET", "/api/users/protected/", { token });

let counter = 0;
/** A fresh, valid registration body. */
const newAccount = (extra: Record<string, unknown> = {}) => {
  const n = ++counter;
  return { username: `member${n}`, email: `member${n}@example.com`, password: "a good password", first_name: "Ada", last_name: "Lovelace", ...extra };
};

describe("POST /api/register/", () => {
  test("answers 201 {user, message} and stores an argon2id hash and a lower-cased email", async () => {
    const body = newAccount({ email: `Mixed.Case${counter}@Example.COM` });
    const response = await api("POST", "/api/register/", { body });
    expect(response.status).toBe(201);
    expect(response.body.message).toBe("User Created Successfully");
    const user = response.body.user;
    expect(Object.keys(user).sort()).toEqual(["date_joined", "email", "first_name", "id", "is_bot", "last_name", "username"]);
    expect(user).toMatchObject({ username: body.username, email: body.email.toLowerCase(), first_name: "Ada", last_name: "Lovelace" });
    expect(Number.isInteger(user.id)).toBe(true);
    expect(user.date_joined).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Math.abs(Date.parse(user.date_joined) - Date.now())).toBeLessThan(60_000);

    const row = (await userRow(user.id))!;
    expect(row.email).toBe(body.email.toLowerCase());
    expect(row.password_hash).toStartWith("$argon2id$");
    expect(row.password_hash).not.toContain(body.password);
    expect(row).toMatchObject({ is_active: 1, is_staff: 0, is_superuser: 0, token_generation: 0 });
    expect((await login(body.email.toLowerCase(), body.password)).status).toBe(200);
  });

  test("first and last names are optional", async () => {
    const { first_name: _f, last_name: _l, ...body } = newAccount();
    const response = await api("POST", "/api/register/", { body });
    expect(response.status).toBe(201);
    expect(response.body.user).toMatchObject({ first_name: "", last_name: "" });
  });

  test("is_staff and is_superuser in the body are ignored", async () => {
    const response = await api("POST", "/api/register/", { body: newAccount({ is_staff: true, is_superuser: true, is_active: false, token_generation: 7 }) });
    expect(response.status).toBe(201);
    expect(await userRow(response.body.user.id)).toMatchObject({ is_staff: 0, is_superuser: 0, is_active: 1, token_generation: 0 });
  });

  test("form-encoded bodies work too; multipart ones are refused (415: no file to take)", async () => {
    const formBody = newAccount({ is_staff: "1" });
    const form = await api("POST", "/api/register/", {
      body: new URLSearchParams(formBody as Record<string, string>).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(201);
    expect(form.body.user.username).toBe(formBody.username);
    expect((await userRow(form.body.user.id))?.is_staff).toBe(0);
    expect((await login(formBody.email, formBody.password)).status).toBe(200);

    const multipartBody = newAccount();
    const data = new FormData();
    for (const [key, value] of Object.entries({ ...multipartBody, is_superuser: "1" })) data.set(key, String(value));
    const multipart = await api("POST", "/api/register/", { body: data });
    expect(multipart.status).toBe(415);
    expect(multipart.body.code).toBe("unsupported_media_type");
    expect((await login(multipartBody.email, multipartBody.password)).status).toBe(401);

    const badForm = await api("POST", "/api/register/", {
      body: new URLSearchParams({ username: "formless" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(badForm.status).toBe(400);
    expect(badForm.body).toEqual({ email: ["This field is required."], password: ["This field is required."] });
  });

  test("a taken username (in any case) or email (in any case) is a 400 naming the field", async () => {
    const first = newAccount();
    expect((await api("POST", "/api/register/", { body: first })).status).toBe(201);

    const sameUsername = await api("POST", "/api/register/", { body: newAccount({ username: first.username.toUpperCase() }) });
    expect(sameUsername.status).toBe(400);
    expect(sameUsername.body).toEqual({ username: ["A user with that username already exists."] });

    const sameEmail = await api("POST", "/api/register/", { body: newAccount({ email: first.email.toUpperCase() }) });
    expect(sameEmail.status).toBe(400);
    expect(sameEmail.body).toEqual({ email: ["user with this email already exists."] });

    const both = await api("POST", "/api/register/", { body: newAccount({ username: first.username, email: first.email }) });
    expect(both.status).toBe(400);
    expect(Object.keys(both.body).sort()).toEqual(["email", "username"]);

    // Unicode compatibility forms count as the same name.
    const fullWidth = await api("POST", "/api/register/", { body: newAccount({ username: `Ｍｅｍｂｅｒ${first.username.slice(6)}` }) });
    expect(fullWidth.status).toBe(400);
    expect(Object.keys(fullWidth.body)).toEqual(["username"]);

    expect(await db.selectFrom("users").select("id").where("email", "=", first.email).execute()).toHaveLength(1);
  });

  test("passwords need at least 8 characters", async () => {
    const seven = await api("POST", "/api/register/", { body: newAccount({ password: "1234567" }) });
    expect(seven.status).toBe(400);
    expect(seven.body).toEqual({ password: ["This password is too short. It must contain at least 8 characters."] });
    expect((await api("POST", "/api/register/", { body: newAccount({ password: "12345678" }) })).status).toBe(201);
  });

  test("missing, blank, invalid and mistyped fields are each named", async () => {
    const missing = await api("POST", "/api/register/", { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ username: ["This field is required."], email: ["This field is required."], password: ["This field is required."] });

    const blank = await api("POST", "/api/register/", { body: { username: "", email: "", password: "" } });
    expect(blank.status).toBe(400);
    expect(Object.keys(blank.body).sort()).toEqual(["email", "password", "username"]);

    const cases: [Record<string, unknown>, string][] = [
      [{ email: "not-an-email" }, "email"],
      [{ email: "two@@example.com" }, "email"],
      [{ username: "has space" }, "username"],
      [{ username: "semi;colon" }, "username"],
      [{ username: "x".repeat(151) }, "username"],
      [{ username: 42 }, "username"],
      [{ password: 123456789 }, "password"],
      [{ first_name: "x".repeat(151) }, "first_name"],
      [{ last_name: ["Lovelace"] }, "last_name"],
    ];
    for (const [change, field] of cases) {
      const response = await api("POST", "/api/register/", { body: newAccount(change) });
      expect(response.status, JSON.stringify(change)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(change)).toEqual([field]);
      expect(response.body[field]).toBeArrayOfSize(1);
      expect(typeof response.body[field][0]).toBe("string");
    }
    // Django's username characters are all accepted.
    expect((await api("POST", "/api/register/", { body: newAccount({ username: `a.b+c-d_e@f${counter}` }) })).status).toBe(201);
    expect((await api("POST", "/api/register/", { body: newAccount({ username: `Zoë${counter}` }) })).status).toBe(201);
  });

  test("the error does not echo the submitted values", async () => {
    const response = await api("POST", "/api/register/", { body: { username: "echo-check", email: "bad-email-zqx", password: "p@1" } });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body).sort()).toEqual(["email", "password"]);
    const text = JSON.stringify(response.body);
    expect(text).not.toContain("p@1");
    expect(text).not.toContain("bad-email-zqx");
  });
});

describe("profiles, updates and deletion", () => {
  const patch = (actor: TestUser | undefined, id: number | string, body: unknown) => api("PATCH", `/api/${id}/update/`, { token: actor?.access, body });
  const put = (actor: TestUser | undefined, id: number | string, body: unknown) => api("PUT", `/api/${id}/update/`, { token: actor?.access, body });
  const del = (actor: TestUser | undefined, id: number | string) => api("DELETE", `/api/${id}/delete/`, { token: actor?.access });
  const get = (actor: TestUser | undefined, id: number | string) => api("GET", `/api/${id}/`, { token: actor?.access });

  test("GET /api/{id}/ needs a login; the email is shown only to the user themself and to staff", async () => {
    const owner = await registerUser(api, "owner");
    const other = await registerUser(api, "other");
    const staff = await registerUser(api, "staff");
    await makeStaff(staff.id);

    expect((await get(undefined, owner.id)).status).toBe(401);

    const asOther = await get(other, owner.id);
    expect(asOther.status).toBe(200);
    expect(asOther.body).toMatchObject({ id: owner.id, username: owner.username, first_name: "owner", last_name: "Test" });
    expect("email" in asOther.body).toBe(false);
    expect(JSON.stringify(asOther.body)).not.toContain(owner.email);
    expect(typeof asOther.body.date_joined).toBe("string");

    const asSelf = await get(owner, owner.id);
    expect(asSelf.status).toBe(200);
    expect(asSelf.body.email).toBe(owner.email);
    expect(Object.keys(asSelf.body).sort()).toEqual(["date_joined", "email", "first_name", "id", "is_bot", "last_name", "username"]);

    const asStaff = await get(staff, owner.id);
    expect(asStaff.status).toBe(200);
    expect(asStaff.body.email).toBe(owner.email);
  });

  test("unknown and non-numeric ids are 404, never 500", async () => {
    const user = await registerUser(api, "ids");
    for (const id of ["999999", "0", "-1", "abc", "1.5", "Infinity", "NaN", "1e400", "99999999999999999999", "%20"]) {
      for (const response of [await get(user, id), await patch(user, id, { first_name: "x" }), await put(user, id, newAccount()), await del(user, id)]) {
        expect(response.status, id).toBe(404);
        expect(response.body, id).toEqual({ detail: "Not found.", error: "Not found.", code: "not_found" });
      }
    }
    expect((await userRow(user.id))?.first_name).toBe("ids");
  });

  test("PATCH changes some fields; the email is lower-cased, a username may change case", async () => {
    const user = await registerUser(api, "patcher");
    const response = await patch(user, user.id, { first_name: "Grace", email: `NEW.${user.email.toUpperCase()}`, current_password: user.password });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: user.id, username: user.username, first_name: "Grace", last_name: "Test", email: `new.${user.email}` });
    expect(await userRow(user.id)).toMatchObject({ first_name: "Grace", email: `new.${user.email}`, token_generation: 0 });
    // No password change: the session goes on.
    expect((await protectedWith(user.access)).status).toBe(200);

    const recased = await patch(user, user.id, { username: user.username.toUpperCase() });
    expect(recased.status).toBe(200);
    expect(recased.body.username).toBe(user.username.toUpperCase());

    // Nothing to change (no fields, or only fields that are not part of a profile) is a no-op, not a 500.
    for (const body of [{}, { is_staff: 1 }]) {
      const empty = await patch(user, user.id, body);
      expect(empty.status).toBe(200);
      expect(empty.body.first_name).toBe("Grace");
    }
    expect((await userRow(user.id))?.is_staff).toBe(0);
  });

  test("PATCH refuses a taken username or email and invalid values, naming the field", async () => {
    const user = await registerUser(api, "taker");
    const other = await registerUser(api, "taken");
    const username = await patch(user, user.id, { username: other.username.toUpperCase() });
    expect(username.status).toBe(400);
    expect(username.body).toEqual({ username: ["A user with that username already exists."] });
    const email = await patch(user, user.id, { email: other.email.toUpperCase(), current_password: user.password });
    expect(email.status).toBe(400);
    expect(email.body).toEqual({ email: ["user with this email already exists."] });
    const short = await patch(user, user.id, { password: "short" });
    expect(short.status).toBe(400);
    expect(Object.keys(short.body)).toEqual(["password"]);
    expect(JSON.stringify(short.body)).not.toContain('short"');
    const badName = await patch(user, user.id, { username: "no spaces allowed" });
    expect(badName.status).toBe(400);
    expect(Object.keys(badName.body)).toEqual(["username"]);
    expect(await userRow(user.id)).toMatchObject({ username: user.username, email: user.email, token_generation: 0 });
  });

  test("PATCH ignores fields that are not part of a profile (is_staff, is_active, token_generation, id)", async () => {
    const user = await registerUser(api, "escalate");
    const response = await patch(user, user.id, {
      first_name: "Still",
      is_staff: 1,
      is_superuser: true,
      is_active: 0,
      token_generation: 9,
      id: 12345,
      password_hash: "x",
    });
    expect(response.status).toBe(200);
    const row = (await userRow(user.id))!;
    expect(row).toMatchObject({ first_name: "Still", is_staff: 0, is_superuser: 0, is_active: 1, token_generation: 0 });
    expect(row.password_hash).toStartWith("$argon2id$");
    expect(await userRow(12345)).toBeUndefined();
  });

  test("PUT needs all five fields; missing ones are named", async () => {
    const user = await registerUser(api, "putter");
    const partial = await put(user, user.id, { username: "only" });
    expect(partial.status).toBe(400);
    expect(partial.body).toEqual({
      email: ["This field is required."],
      password: ["This field is required."],
      first_name: ["This field is required."],
      last_name: ["This field is required."],
    });
    expect((await userRow(user.id))?.username).toBe(user.username);
  });

  test("PUT replaces the profile; the new password is re-hashed and ends ALL tokens of the account", async () => {
    const user = await registerUser(api, "replacer");
    const second = await login(user.email, user.password);
    const before = (await userRow(user.id))!;
    const body = { username: `${user.username}x`, email: `x.${user.email}`, password: "a brand new password", first_name: "New", last_name: "Name" };

    const response = await put(user, user.id, { ...body, current_password: user.password });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: user.id, username: body.username, email: body.email, first_name: "New", last_name: "Name" });
    expect(JSON.stringify(response.body)).not.toContain(body.password);

    const after = (await userRow(user.id))!;
    expect(after.password_hash).toStartWith("$argon2id$");
    expect(after.password_hash).not.toBe(before.password_hash);
    expect(after.token_generation).toBe(before.token_generation + 1);

    for (const access of [user.access, second.body.access]) expect((await protectedWith(access)).status).toBe(401);
    for (const refresh of [user.refresh, second.body.refresh]) expect((await api("POST", "/api/token/refresh/", { body: { refresh } })).status).toBe(401);

    expect((await login(user.email, user.password)).status).toBe(401);
    expect((await login(body.email, user.password)).status).toBe(401);
    const fresh = await login(body.email, body.password);
    expect(fresh.status).toBe(200);
    expect((await protectedWith(fresh.body.access)).status).toBe(200);
  });

  test("a PATCH of the password alone also ends every session", async () => {
    const user = await registerUser(api, "repass");
    const response = await patch(user, user.id, { password: "another good password", current_password: user.password });
    expect(response.status).toBe(200);
    expect((await protectedWith(user.access)).status).toBe(401);
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } })).status).toBe(401);
    expect((await login(user.email, "another good password")).status).toBe(200);
  });

  test("DELETE /api/{id}/delete/ answers 204 with no body; the row and the tokens are gone", async () => {
    const user = await registerUser(api, "leaver");
    const response = await api("DELETE", `/api/${user.id}/delete/`, { token: user.access });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
    expect(await userRow(user.id)).toBeUndefined();
    expect((await protectedWith(user.access)).status).toBe(401);
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } })).status).toBe(401);
    expect((await login(user.email, user.password)).status).toBe(401);
    // The username and email are free again.
    expect((await api("POST", "/api/register/", { body: { username: user.username, email: user.email, password: user.password } })).status).toBe(201);
  });

  test("deactivating a user ends their tokens", async () => {
    const user = await registerUser(api, "deactivated");
    await db.updateTable("users").set({ is_active: 0 }).where("id", "=", user.id).execute();
    expect((await protectedWith(user.access)).status).toBe(401);
    expect((await patch(user, user.id, { first_name: "x" })).status).toBe(401);
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: user.refresh } })).status).toBe(401);
  });

  test("permission matrix: anonymous 401, another user 403, self and staff allowed", async () => {
    type Actor = "anonymous" | "other" | "self" | "staff";
    const expected: Record<Actor, { get: number; patch: number; put: number; del: number }> = {
      anonymous: { get: 401, patch: 401, put: 401, del: 401 },
      other: { get: 200, patch: 403, put: 403, del: 403 },
      self: { get: 200, patch: 200, put: 200, del: 204 },
      staff: { get: 200, patch: 200, put: 200, del: 204 },
    };
    const staff = await registerUser(api, "admin");
    await makeStaff(staff.id);
    const other = await registerUser(api, "intruder");

    for (const actorName of Object.keys(expected) as Actor[]) {
      const target = await registerUser(api, `target${actorName}`);
      const actor = { anonymous: undefined, other, self: target, staff }[actorName];
      const want = expected[actorName];
      const label = (op: string) => `${actorName} ${op}`;

      expect((await get(actor, target.id)).status, label("GET")).toBe(want.get);

      const patched = await patch(actor, target.id, { first_name: `by-${actorName}` });
      expect(patched.status, label("PATCH")).toBe(want.patch);
      expect((await userRow(target.id))?.first_name, label("PATCH row")).toBe(want.patch === 200 ? `by-${actorName}` : `target${actorName}`);

      const replacement = { username: `${target.username}r`, email: `r.${target.email}`, password: target.password, first_name: "Put", last_name: actorName };
      const replaced = await put(actor, target.id, actorName === "self" ? { ...replacement, current_password: target.password } : replacement);
      expect(replaced.status, label("PUT")).toBe(want.put);
      expect((await userRow(target.id))?.username, label("PUT row")).toBe(want.put === 200 ? replacement.username : target.username);
      if (want.put === 200) expect(replaced.body.email, label("PUT email shown")).toBe(replacement.email);

      // The actor's own token may have ended with the password change above (self); log in again.
      const current = actorName === "self" ? await login(replacement.email, target.password) : undefined;
      const deleter = actorName === "self" ? { ...target, access: current!.body.access } : actor;
      const deleted = await del(deleter, target.id);
      expect(deleted.status, label("DELETE")).toBe(want.del);
      expect(await userRow(target.id), label("DELETE row")).toEqual(want.del === 204 ? undefined : expect.objectContaining({ id: target.id }));
      if (want.del !== 204) expect(deleted.body.code, label("DELETE code")).toBe(want.del === 401 ? "not_authenticated" : "forbidden");
    }
    // The staff and the other user are untouched by all of it.
    expect((await userRow(other.id))?.first_name).toBe("intruder");
    expect((await protectedWith(staff.access)).status).toBe(200);
  });

  test("staff changing another user's password ends that user's sessions, not the staff's", async () => {
    const staff = await registerUser(api, "moderator");
    await makeStaff(staff.id);
    const user = await registerUser(api, "moderated");
    const response = await patch(staff, user.id, { password: "reset by staff 123" });
    expect(response.status).toBe(200);
    expect(response.body.email).toBe(user.email);
    expect((await protectedWith(user.access)).status).toBe(401);
    expect((await protectedWith(staff.access)).status).toBe(200);
    expect((await userRow(user.id))?.token_generation).toBe(1);
    expect((await userRow(staff.id))?.token_generation).toBe(0);
  });

  test("staff deleting a user ends that user's tokens", async () => {
    const staff = await registerUser(api, "janitor");
    await makeStaff(staff.id);
    const user = await registerUser(api, "swept");
    expect((await del(staff, user.id)).status).toBe(204);
    expect((await protectedWith(user.access)).status).toBe(401);
    expect((await get(staff, user.id)).status).toBe(404);
    expect((await del(staff, user.id)).status).toBe(404);
  });

  describe("changing the password or the email needs the current password", () => {
    const rowOf = async (id: number) => (await userRow(id))!;

    test("PATCH of the password or the email without current_password, or with a wrong one: 400 naming current_password, nothing changed", async () => {
      const user = await registerUser(api, "guarded");
      const before = await rowOf(user.id);
      const changes = [{ password: "a stolen new password" }, { email: `thief.${user.email}` }, { email: `thief.${user.email}`, first_name: "Mallory" }];
      for (const change of changes) {
        for (const [given, message] of [
          [undefined, "Enter your current password to change your password or email."],
          ["", "Enter your current password to change your password or email."],
          ["not the password", "Your current password was entered incorrectly."],
        ] as const) {
          const body = given === undefined ? change : { ...change, current_password: given };
          const response = await patch(user, user.id, body);
          expect(response.status, JSON.stringify(body)).toBe(400);
          expect(response.body).toEqual({ current_password: [message] });
        }
      }
      expect(await rowOf(user.id)).toEqual(before);
      expect((await protectedWith(user.access)).status).toBe(200);
      expect((await login(user.email, user.password)).status).toBe(200);
    });

    test("PUT with a new password needs it too; the right current_password lets both through", async () => {
      const user = await registerUser(api, "guardput");
      const body = { username: user.username, email: user.email, password: "a replaced password", first_name: "P", last_name: "Q" };
      expect((await put(user, user.id, body)).body).toEqual({ current_password: ["Enter your current password to change your password or email."] });
      expect((await put(user, user.id, { ...body, current_password: "wrong wrong wrong" })).body).toEqual({
        current_password: ["Your current password was entered incorrectly."],
      });
      expect((await rowOf(user.id)).first_name).toBe("guardput");
      const replaced = await put(user, user.id, { ...body, current_password: user.password });
      expect(replaced.status).toBe(200);
      expect(JSON.stringify(replaced.body)).not.toContain(user.password);
      expect((await login(user.email, "a replaced password")).status).toBe(200);

      const patcher = await registerUser(api, "guardemail");
      const moved = await patch(patcher, patcher.id, { email: `moved.${patcher.email}`, current_password: patcher.password });
      expect(moved.status).toBe(200);
      expect((await rowOf(patcher.id)).email).toBe(`moved.${patcher.email}`);
      expect((await protectedWith(patcher.access)).status).toBe(200); // an email change alone keeps the sessions
    });

    test("other fields, and the same email in another case, need no password", async () => {
      const user = await registerUser(api, "freeform");
      const response = await patch(user, user.id, { first_name: "Free", last_name: "Form", username: `${user.username}z`, email: user.email.toUpperCase() });
      expect(response.status).toBe(200);
      expect(await rowOf(user.id)).toMatchObject({ first_name: "Free", last_name: "Form", username: `${user.username}z`, email: user.email });
    });

    test("staff changing someone else's password or email need none; staff changing their own do", async () => {
      const staff = await registerUser(api, "resetter");
      await makeStaff(staff.id);
      const user = await registerUser(api, "forgetful");
      expect((await patch(staff, user.id, { password: "reset by the staff", email: `reset.${user.email}` })).status).toBe(200);
      expect((await login(`reset.${user.email}`, "reset by the staff")).status).toBe(200);
      const own = await patch(staff, staff.id, { password: "a staff password" });
      expect(own.status).toBe(400);
      expect(own.body).toEqual({ current_password: ["Enter your current password to change your password or email."] });
    });

    test("wrong guesses share the login's per-account limit (429), and the body never echoes them", async () => {
      const limited = await makeApp({ limitLoginAccount: { capacity: 3, periodMs: 60_000 } });
      const user = await registerUser(limited.api, "guessed");
      const guess = (current_password: string) =>
        limited.api("PATCH", `/api/${user.id}/update/`, { token: user.access, body: { password: "taken over 123", current_password } });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await guess(`guess number ${i}`));
      expect(answers.map((a) => a.status)).toEqual([400, 400, 429, 429]); // the login above took one
      for (const answer of answers) expect(JSON.stringify(answer.body)).not.toContain("guess number");
      expect(answers[3]!.headers.get("retry-after")).toBeTruthy();
      expect((await guess(user.password)).status).toBe(429);
    });
  });
});
