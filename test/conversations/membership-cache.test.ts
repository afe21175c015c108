// The membership guard answers from memberships it has read before (membership-cache.ts): every change to who is in a
// conversation, or to their role, must be heard at once — a removed or departed member is refused on the very next
// request, a promoted one may moderate, a demoted one no longer may.
import { describe, expect, test } from "bun:test";
import { makeApp } from "../helpers";
import { createGroup, expectRefused, registerUsers, send, sendText } from "../chat-helpers";

const { api } = await makeApp();
const [alice, bob, carol] = await registerUsers(api, ["alice", "bob", "carol"]);

describe("membership changes reach the guard at once", () => {
  test("a removed member's next send and read are refused; added again, both work", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    await sendText(api, bob, group.id, "before"); // the guard has now seen bob's membership
    expect((await api("GET", `/api/messages/${group.id}/`, { token: bob.access })).status).toBe(200);
    expect((await api("DELETE", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access })).status).toBe(200);
    expectRefused(await send(api, bob, group.id, { message: "after removal" }), 403);
    expectRefused(await api("GET", `/api/messages/${group.id}/`, { token: bob.access }), 403);
    expect((await api("POST", `/api/groups/${group.id}/members/`, { token: alice.access, body: { user_id: bob.id } })).status).toBe(201);
    expect((await send(api, bob, group.id, { message: "back" })).status).toBe(201);
  });

  test("a burst of first sends shares one read: a member's all commit, a non-member's are all refused", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const burst = (user: typeof bob) => Promise.all(Array.from({ length: 20 }, (_, i) => send(api, user, group.id, { message: `burst ${i}` })));
    expect((await burst(bob)).map((r) => r.status)).toEqual(Array(20).fill(201));
    for (const refused of await burst(carol)) expectRefused(refused, 403);
  });

  test("a member who left is refused on the next send", async () => {
    const group = await createGroup(api, alice, [carol.id]);
    await sendText(api, carol, group.id, "hello");
    expect((await api("POST", `/api/groups/${group.id}/leave/`, { token: carol.access })).status).toBe(200);
    expectRefused(await send(api, carol, group.id, { message: "gone" }), 403);
  });

  test("a role change is heard: promoted, a member may delete others' messages; demoted, no longer", async () => {
    const group = await createGroup(api, alice, [bob.id, carol.id]);
    const first = await sendText(api, bob, group.id, "one");
    const second = await sendText(api, bob, group.id, "two");
    expectRefused(await api("DELETE", `/api/messages/${group.id}/${first.id}/`, { token: carol.access }), 403);
    expect((await api("PATCH", `/api/groups/${group.id}/members/${carol.id}/`, { token: alice.access, body: { role: "admin" } })).status).toBe(200);
    expect((await api("DELETE", `/api/messages/${group.id}/${first.id}/`, { token: carol.access })).status).toBe(204);
    expect((await api("PATCH", `/api/groups/${group.id}/members/${carol.id}/`, { token: alice.access, body: { role: "member" } })).status).toBe(200);
    expectRefused(await api("DELETE", `/api/messages/${group.id}/${second.id}/`, { token: carol.access }), 403);
  });
});
