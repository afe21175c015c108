// Group administration rules: names as at creation, private groups joined only by invitation, the last owner
// who must hand over, bad input refused with the field named (never a 500), and the group JSON answered.
import { describe, expect, test } from "bun:test";
import { makeApp, registerUser } from "../helpers";
import { counts, createGroup, ISO_TIMESTAMP, makeStaff, sendText, uniqueName } from "../chat-helpers";

const { parley, api } = await makeApp();
const db = parley.ctx.db;
// One after another, so ids (and so the order of members who joined in the same millisecond) follow the names.
const [alice, bob, carol, dave, staff] = [
  await registerUser(api, "alice"),
  await registerUser(api, "bob"),
  await registerUser(api, "carol"),
  await registerUser(api, "dave"),
  await registerUser(api, "staff"),
];
await makeStaff(parley, staff.id);

const memberRows = (groupId: number) =>
  db.selectFrom("conversation_members").select(["user_id", "role"]).where("conversation_id", "=", groupId).orderBy("user_id").execute();
const byUser = <T extends { user_id: number }>(rows: T[]) => [...rows].sort((a, b) => a.user_id - b.user_id);
const groupRow = (groupId: number) => db.selectFrom("conversations").selectAll().where("id", "=", groupId).executeTakeFirstOrThrow();
const eventTypes = async (groupId: number) =>
  (await db.selectFrom("events").select("type").where("conversation_id", "=", groupId).orderBy("seq").execute()).map((e) => e.type);
const json = { "content-type": "application/json" };

describe("the group JSON", () => {
  test("every group answer has {id, name, members, created_by, created_at} plus private and each member's role", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const promoted = await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access, body: { role: "admin" } });
    expect(promoted.status).toBe(200);
    expect(Object.keys(promoted.body).sort()).toEqual(["created_at", "created_by", "id", "members", "name", "private", "retention_days", "roles"]);
    expect(promoted.body).toMatchObject({ id: group.id, name: group.name, created_by: alice.id, private: false });
    expect(promoted.body.created_at).toMatch(ISO_TIMESTAMP);
    expect(promoted.body.members).toEqual([alice.id, bob.id]);
    expect(promoted.body.roles).toEqual([
      { user_id: alice.id, role: "owner" },
      { user_id: bob.id, role: "admin" },
    ]);
    const listed = (await api("GET", "/api/groups/", { token: bob.access })).body.find((g: { id: number }) => g.id === group.id);
    expect(listed).toEqual(promoted.body);
    // The conversation list shows the new role too.
    const conversation = (await api("GET", "/api/conversations/", { token: bob.access })).body.find((c: { id: number }) => c.id === group.id);
    expect(conversation.members.find((m: { id: number }) => m.id === bob.id).role).toBe("admin");
  });
});

describe("PATCH /api/groups/{id}/", () => {
  test("renames with the rules of creation: trimmed, unique in any case; its own name in another case is fine", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const other = await createGroup(api, carol);
    for (const taken of [other.name, other.name.toUpperCase(), `  ${other.name.toLowerCase()} `]) {
      const response = await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { name: taken } });
      expect(response.status, taken).toBe(400);
      expect(response.body).toEqual({ name: ["Group name already exists."] });
    }
    expect((await groupRow(group.id)).name).toBe(group.name);

    const recased = await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { name: `  ${group.name.toUpperCase()}  ` } });
    expect(recased.status).toBe(200);
    expect(recased.body.name).toBe(group.name.toUpperCase());
    const fresh = uniqueName("Fresh");
    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { name: fresh } })).body.name).toBe(fresh);
    // The old name is free again, the new one is taken.
    expect((await api("POST", "/api/groups/create/", { token: dave.access, body: { name: group.name } })).status).toBe(201);
    expect((await api("POST", "/api/groups/create/", { token: dave.access, body: { name: fresh.toLowerCase() } })).body).toEqual({
      name: ["Group name already exists."],
    });
  });

  test("a change to what it already is answers the group and logs nothing", async () => {
    const group = await createGroup(api, alice);
    const before = await counts(parley);
    const same = await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { name: group.name, private: false } });
    expect(same.status).toBe(200);
    expect(same.body.name).toBe(group.name);
    expect(await counts(parley)).toEqual(before);
  });

  test("malformed bodies are a 400 naming the field (or non_field_errors), and change nothing", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const before = { row: await groupRow(group.id), counts: await counts(parley) };
    const cases: Array<[unknown, string]> = [
      [{ name: "" }, "name"],
      [{ name: "   " }, "name"],
      [{ name: "x".repeat(101) }, "name"],
      [{ name: 42 }, "name"],
      [{ name: null }, "name"],
      [{ private: "yes" }, "private"],
      [{ private: 1 }, "private"],
      [{ private: null }, "private"],
      [{}, "non_field_errors"],
      [{ colour: "red" }, "non_field_errors"],
      ["[]", "non_field_errors"],
      ['"rename"', "non_field_errors"],
      ["null", "non_field_errors"],
    ];
    for (const [body, field] of cases) {
      const response = await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body, headers: json });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body)).toEqual([field]);
    }
    const broken = await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: "{", headers: json });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe("bad_request");
    expect({ row: await groupRow(group.id), counts: await counts(parley) }).toEqual(before);
  });

  test("anonymous → 401 and nothing changes", async () => {
    const group = await createGroup(api, alice);
    expect((await api("PATCH", `/api/groups/${group.id}/`, { body: { name: uniqueName() } })).status).toBe(401);
    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: "not-a-token", body: { private: true } })).status).toBe(401);
    expect(await groupRow(group.id)).toMatchObject({ name: group.name, private: 0 });
  });
});

describe("POST /api/groups/{id}/members/", () => {
  test("adds a member (201); adding them again is a harmless 200 that logs nothing", async () => {
    const group = await createGroup(api, alice);
    const added = await api("POST", `/api/groups/${group.id}/members/`, { token: alice.access, body: { user_id: bob.id } });
    expect(added.status).toBe(201);
    expect(added.body.members).toEqual([alice.id, bob.id]);
    const before = await counts(parley);
    for (const user_id of [bob.id, String(bob.id), alice.id]) {
      const again = await api("POST", `/api/groups/${group.id}/members/`, { token: alice.access, body: { user_id } });
      expect(again.status).toBe(200);
      expect(again.body.roles).toEqual([
        { user_id: alice.id, role: "owner" },
        { user_id: bob.id, role: "member" },
      ]);
    }
    expect(await counts(parley)).toEqual(before);
    // Added means: may read and send.
    expect((await api("GET", `/api/messages/${group.id}/`, { token: bob.access })).status).toBe(200);
    await sendText(api, bob, group.id, "thanks for adding me");
  });

  test("an unknown, missing or malformed user id is a 400 naming user_id, and nothing changes", async () => {
    const group = await createGroup(api, alice);
    const before = await counts(parley);
    for (const body of [
      { user_id: 9_999_999 },
      {},
      { user_id: "abc" },
      { user_id: 0 },
      { user_id: -1 },
      { user_id: 1.5 },
      { user_id: null },
      { user_id: [bob.id] },
    ]) {
      const response = await api("POST", `/api/groups/${group.id}/members/`, { token: alice.access, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body)).toEqual(["user_id"]);
    }
    expect((await api("POST", `/api/groups/${group.id}/members/`, { token: alice.access, body: "{", headers: json })).status).toBe(400);
    expect((await api("POST", `/api/groups/${group.id}/members/`, { body: { user_id: bob.id } })).status).toBe(401);
    expect(await counts(parley)).toEqual(before);
  });
});

describe("PATCH /api/groups/{id}/members/{user_id}/", () => {
  test("a bad role value is a 400 naming role, and nothing changes", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const before = await counts(parley);
    for (const body of [{ role: "king" }, { role: "OWNER" }, { role: "" }, { role: 1 }, { role: null }, {}, { role: ["admin"] }]) {
      const response = await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body)).toEqual(["role"]);
    }
    expect((await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access, body: "{", headers: json })).status).toBe(400);
    expect((await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { body: { role: "admin" } })).status).toBe(401);
    expect(await counts(parley)).toEqual(before);
    expect(await memberRows(group.id)).toContainEqual({ user_id: bob.id, role: "member" });
  });

  test("an admin may make admins but not owners, and cannot undo another admin; the refusal says why", async () => {
    const group = await createGroup(api, alice, [bob.id, carol.id, dave.id]);
    await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access, body: { role: "admin" } });
    expect((await api("PATCH", `/api/groups/${group.id}/members/${carol.id}/`, { token: bob.access, body: { role: "admin" } })).status).toBe(200);
    const toOwner = await api("PATCH", `/api/groups/${group.id}/members/${dave.id}/`, { token: bob.access, body: { role: "owner" } });
    expect(toOwner.status).toBe(403);
    expect(toOwner.body.detail).toBe("Only owners may make someone owner.");
    const undo = await api("PATCH", `/api/groups/${group.id}/members/${carol.id}/`, { token: bob.access, body: { role: "member" } });
    expect(undo.status).toBe(403);
    expect(undo.body.detail).toBe("Only owners may change an admin's role.");
    const raise = await api("PATCH", `/api/groups/${group.id}/members/${dave.id}/`, { token: dave.access, body: { role: "admin" } });
    expect(raise.status).toBe(403);
    expect(await memberRows(group.id)).toEqual(
      byUser([
        { user_id: alice.id, role: "owner" },
        { user_id: bob.id, role: "admin" },
        { user_id: carol.id, role: "admin" },
        { user_id: dave.id, role: "member" },
      ]),
    );
  });
});

describe("private groups", () => {
  test("a private group refuses join (403); an owner or admin adds people, who then read and write", async () => {
    const created = await api("POST", "/api/groups/create/", { token: alice.access, body: { name: uniqueName("Hidden"), members: [bob.id], private: true } });
    expect(created.status).toBe(201);
    expect(created.body.private).toBe(true);
    const groupId = created.body.id;
    await sendText(api, alice, groupId, "before carol came");

    const before = await counts(parley);
    for (const user of [carol, staff]) {
      const refused = await api("POST", `/api/groups/${groupId}/join/`, { token: user.access });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: "forbidden", detail: "This group is private: ask one of its owners or admins to add you." });
    }
    expect(await counts(parley)).toEqual(before);
    expect((await api("GET", `/api/messages/${groupId}/`, { token: carol.access })).status).toBe(403);
    expect((await api("GET", "/api/groups/", { token: carol.access })).body.map((g: { id: number }) => g.id)).not.toContain(groupId);
    expect(JSON.stringify((await api("GET", "/api/conversations/", { token: carol.access })).body)).not.toContain(created.body.name);

    // Members already in may "join" again harmlessly.
    expect((await api("POST", `/api/groups/${groupId}/join/`, { token: bob.access })).status).toBe(200);

    await api("PATCH", `/api/groups/${groupId}/members/${bob.id}/`, { token: alice.access, body: { role: "admin" } });
    const invited = await api("POST", `/api/groups/${groupId}/members/`, { token: bob.access, body: { user_id: carol.id } });
    expect(invited.status).toBe(201);
    expect(await memberRows(groupId)).toContainEqual({ user_id: carol.id, role: "member" });
    const history = await api("GET", `/api/messages/${groupId}/`, { token: carol.access });
    expect(history.status).toBe(200);
    expect(history.body.map((m: { message: string }) => m.message)).toEqual(["before carol came"]);
    await sendText(api, carol, groupId, "hello, I was invited");
    expect((await api("GET", "/api/groups/", { token: carol.access })).body.find((g: { id: number }) => g.id === groupId)).toMatchObject({ private: true });
  });

  test("made open again, anyone may join; form-encoded creation takes private=true too", async () => {
    const form = new URLSearchParams({ name: uniqueName("FormPrivate"), private: "true" }).toString();
    const created = await api("POST", "/api/groups/create/", {
      token: alice.access,
      body: form,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(created.status).toBe(201);
    expect((await groupRow(created.body.id)).private).toBe(1);
    expect((await api("POST", `/api/groups/${created.body.id}/join/`, { token: dave.access })).status).toBe(403);
    const opened = await api("PATCH", `/api/groups/${created.body.id}/`, { token: alice.access, body: { private: false } });
    expect(opened.status).toBe(200);
    expect(opened.body.private).toBe(false);
    expect((await api("POST", `/api/groups/${created.body.id}/join/`, { token: dave.access })).status).toBe(200);
    expect(await memberRows(created.body.id)).toContainEqual({ user_id: dave.id, role: "member" });
  });
});

describe("the last owner", () => {
  test("cannot leave, be removed or be demoted while others remain (409), by anyone; after a handover all of it works", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const before = { rows: await memberRows(group.id), counts: await counts(parley) };
    const attempts = [
      ["leave", await api("POST", `/api/groups/${group.id}/leave/`, { token: alice.access })],
      ["remove self", await api("DELETE", `/api/groups/${group.id}/members/${alice.id}/`, { token: alice.access })],
      ["demote self", await api("PATCH", `/api/groups/${group.id}/members/${alice.id}/`, { token: alice.access, body: { role: "admin" } })],
      ["staff removes", await api("DELETE", `/api/groups/${group.id}/members/${alice.id}/`, { token: staff.access })],
      ["staff demotes", await api("PATCH", `/api/groups/${group.id}/members/${alice.id}/`, { token: staff.access, body: { role: "member" } })],
    ] as const;
    for (const [label, response] of attempts) {
      expect(response.status, label).toBe(409);
      expect(response.body.code, label).toBe("conflict");
      expect(response.body.detail, label).toContain("last owner");
    }
    expect({ rows: await memberRows(group.id), counts: await counts(parley) }).toEqual(before);

    // Hand over: bob becomes owner; now alice may step down, and then leave.
    expect((await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access, body: { role: "owner" } })).status).toBe(200);
    expect((await api("PATCH", `/api/groups/${group.id}/members/${alice.id}/`, { token: alice.access, body: { role: "member" } })).status).toBe(200);
    expect((await api("POST", `/api/groups/${group.id}/leave/`, { token: alice.access })).status).toBe(200);
    expect(await memberRows(group.id)).toEqual([{ user_id: bob.id, role: "owner" }]);
    expect(await eventTypes(group.id)).toEqual(["member.joined", "member.joined", "member.updated", "member.updated", "member.left"]);
  });

  test("with two owners, one may go; staff may remove an owner who is not the last", async () => {
    const group = await createGroup(api, alice, [bob.id, carol.id]);
    await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access, body: { role: "owner" } });
    expect((await api("DELETE", `/api/groups/${group.id}/members/${alice.id}/`, { token: staff.access })).status).toBe(200);
    expect((await api("DELETE", `/api/groups/${group.id}/members/${bob.id}/`, { token: staff.access })).status).toBe(409);
    expect(await memberRows(group.id)).toEqual(
      byUser([
        { user_id: bob.id, role: "owner" },
        { user_id: carol.id, role: "member" },
      ]),
    );
  });

  test("the only member may leave; the group stays, and whoever enters it next becomes its owner", async () => {
    const open = await createGroup(api, alice);
    expect((await api("POST", `/api/groups/${open.id}/leave/`, { token: alice.access })).status).toBe(200);
    expect(await memberRows(open.id)).toEqual([]);
    expect((await api("POST", `/api/groups/${open.id}/join/`, { token: dave.access })).status).toBe(200);
    await api("POST", `/api/groups/${open.id}/join/`, { token: carol.access });
    expect(await memberRows(open.id)).toEqual(
      byUser([
        { user_id: carol.id, role: "member" },
        { user_id: dave.id, role: "owner" },
      ]),
    );

    // An empty private group: only staff can bring someone in, and that someone owns it.
    const closed = (await api("POST", "/api/groups/create/", { token: bob.access, body: { name: uniqueName(), private: true } })).body;
    expect((await api("DELETE", `/api/groups/${closed.id}/members/${bob.id}/`, { token: bob.access })).status).toBe(200);
    expect((await api("POST", `/api/groups/${closed.id}/join/`, { token: carol.access })).status).toBe(403);
    const added = await api("POST", `/api/groups/${closed.id}/members/`, { token: staff.access, body: { user_id: carol.id } });
    expect(added.status).toBe(201);
    expect(added.body.roles).toEqual([{ user_id: carol.id, role: "owner" }]);
  });
});

test("when the only owner's account is deleted, the members cannot crown themselves; staff appoint an owner", async () => {
  const eve = await registerUser(api, "eve");
  const group = await createGroup(api, eve, [alice.id, bob.id]);
  expect((await api("DELETE", `/api/${eve.id}/delete/`, { token: eve.access })).status).toBe(204);
  expect((await api("PATCH", `/api/groups/${group.id}/members/${alice.id}/`, { token: alice.access, body: { role: "owner" } })).status).toBe(403);
  expect((await api("DELETE", `/api/groups/${group.id}/members/${eve.id}/`, { token: staff.access })).status).toBe(404);
  expect((await api("POST", `/api/groups/${group.id}/members/`, { token: staff.access, body: { user_id: eve.id } })).body).toEqual({
    user_id: ["Unknown user."],
  });
  const appointed = await api("PATCH", `/api/groups/${group.id}/members/${alice.id}/`, { token: staff.access, body: { role: "owner" } });
  expect(appointed.status).toBe(200);
  expect(appointed.body.roles).toEqual([
    { user_id: alice.id, role: "owner" },
    { user_id: bob.id, role: "member" },
  ]);
});
