// GET /api/users/lookup/?username= — how a client starts a conversation with someone it knows by name.
import { describe, expect, test } from "bun:test";
import { makeApp, registerUser } from "../helpers";

const { parley, api } = await makeApp();
const [alice, bob] = [await registerUser(api, "alice"), await registerUser(api, "Bob")];

describe("GET /api/users/lookup/", () => {
  test("finds a user by exact username, ignoring case, without their email", async () => {
    for (const name of [bob.username, bob.username.toUpperCase(), ` ${bob.username.toLowerCase()} `]) {
      const found = await api("GET", `/api/users/lookup/?username=${encodeURIComponent(name)}`, { token: alice.access });
      expect(found.status).toBe(200);
      expect(found.body).toEqual({ id: bob.id, username: bob.username, first_name: "Bob", last_name: "Test", date_joined: expect.any(String), is_bot: false });
    }
    const self = await api("GET", `/api/users/lookup/?username=${alice.username}`, { token: alice.access });
    expect(self.body.email).toBe(alice.email);
  });

  test("no such user, a prefix only, or a deactivated account: 404", async () => {
    for (const name of ["nobody", bob.username.slice(0, 2)]) {
      const missing = await api("GET", `/api/users/lookup/?username=${name}`, { token: alice.access });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe("not_found");
    }
    const gone = await registerUser(api, "gone");
    await parley.ctx.db.updateTable("users").set({ is_active: 0 }).where("id", "=", gone.id).execute();
    expect((await api("GET", `/api/users/lookup/?username=${gone.username}`, { token: alice.access })).status).toBe(404);
  });

  test("anonymous: 401; a missing or overlong username: 400 naming the field", async () => {
    expect((await api("GET", `/api/users/lookup/?username=${bob.username}`)).status).toBe(401);
    expect((await api("GET", `/api/users/lookup/?username=${bob.username}`, { token: "not-a-token" })).status).toBe(401);
    for (const query of ["", "?username=", `?username=${"x".repeat(151)}`]) {
      const bad = await api("GET", `/api/users/lookup/${query}`, { token: alice.access });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body)).toEqual(["username"]);
    }
  });
});
