// What the fuzzers (test/fuzz/*.test.ts) found, each fixed and pinned here by a fixed input, named after what broke.
import { describe, expect, test } from "bun:test";
import { makeStaff } from "../chat-helpers";
import { checkedFetch, listen, registerUser } from "../helpers";

const { server, api } = await listen();

describe("fuzzer findings", () => {
  test("a path id spelled otherwise (+1, ' 1', 1.0, 0x1, 1e0, 01) named the same object: staff deleted user 1 through /api/0x1/delete/", async () => {
    const user = await registerUser(api, "aliased");
    const staff = await registerUser(api, "aliasstaff");
    await makeStaff(server.parley, staff.id);
    const spellings = [`+${user.id}`, `%20${user.id}`, `${user.id}%20`, `${user.id}.0`, `0x${user.id.toString(16)}`, `${user.id}e0`, `0${user.id}`];
    for (const spelling of spellings) {
      const read = await checkedFetch(`${server.url}/api/${spelling}/`, { headers: { authorization: `Bearer ${staff.access}` } });
      expect(read.status, spelling).toBe(404);
      const removed = await checkedFetch(`${server.url}/api/${spelling}/delete/`, { method: "DELETE", headers: { authorization: `Bearer ${staff.access}` } });
      expect(removed.status, spelling).toBe(404);
    }
    // The one spelling still works, and the user is still there.
    const read = await checkedFetch(`${server.url}/api/${user.id}/`, { headers: { authorization: `Bearer ${staff.access}` } });
    expect(read.status).toBe(200);
    expect((await read.json()).id).toBe(user.id);
    expect((await api("GET", "/api/users/protected/", { token: user.access })).status).toBe(200);
  });
});
