// Groups: creating (members as a list or as "[1, 2]"), listing, joining and leaving; one id sequence with direct conversations.
import { describe, expect, test } from "bun:test";
import { makeApp, registerUser } from "../helpers";
import { counts, createGroup, directWith, ISO_TIMESTAMP, registerUsers, sendText, uniqueName } from "../chat-helpers";

const { parley, api } = await makeApp();
const db = parley.ctx.db;
const [alice, bob, carol, dave] = await registerUsers(api, ["alice", "bob", "carol", "dave"]);

const memberRows = (conversationId: number) =>
  db
    .selectFrom("conversation_members")
    .select(["user_id", "role"])
    .where("conversation_id", "=", conversationId)
    .orderBy("user_id")
    .execute()
    .then((rows) => rows.map((r): { user_id: number; role: string } => r));
const conversationRow = (id: number) => db.selectFrom("conversations").selectAll().where("id", "=", id).executeTakeFirst();

describe("POST /api/groups/create/", () => {
  test("answers 201 {id, name, members} with the creator as owner and the others as members", async () => {
    const name = uniqueName("Team");
    const response = await api("POST", "/api/groups/create/", { token: alice.access, body: { name, members: [bob.id, carol.id] } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name, created_by: alice.id });
    expect(Number.isInteger(response.body.id)).toBe(true);
    expect([...response.body.members].sort()).toEqual([alice.id, bob.id, carol.id].sort());
    expect(response.body.created_at).toMatch(ISO_TIMESTAMP);

    expect(await conversationRow(response.body.id)).toMatchObject({ id: response.body.id, kind: "group", name, direct_key: null, created_by: alice.id });
    expect(await memberRows(response.body.id)).toEqual(
      [
        { user_id: alice.id, role: "owner" },
        { user_id: bob.id, role: "member" },
        { user_id: carol.id, role: "member" },
      ].sort((a, b) => a.user_id - b.user_id),
    );
  });

  test('members may be given as the string "[1, 2]" (JSON and form-encoded)', async () => {
    const json = await api("POST", "/api/groups/create/", { token: alice.access, body: { name: uniqueName(), members: `[${bob.id}, ${carol.id}]` } });
    expect(json.status).toBe(201);
    expect([...json.body.members].sort()).toEqual([alice.id, bob.id, carol.id].sort());

    const formName = uniqueName();
    const formBody = new URLSearchParams({ name: formName, members: `[${dave.id}]` }).toString();
    const encoded = await api("POST", "/api/groups/create/", {
      token: bob.access,
      body: formBody,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(encoded.status).toBe(201);
    expect(encoded.body.name).toBe(formName);
    expect([...encoded.body.members].sort()).toEqual([bob.id, dave.id].sort());
    expect(await memberRows(encoded.body.id)).toContainEqual({ user_id: bob.id, role: "owner" });
  });

  test("without members the creator is the only member; the creator listed again stays owner, duplicates count once", async () => {
    const alone = await api("POST", "/api/groups/create/", { token: carol.access, body: { name: uniqueName() } });
    expect(alone.status).toBe(201);
    expect(alone.body.members).toEqual([carol.id]);
    expect(await memberRows(alone.body.id)).toEqual([{ user_id: carol.id, role: "owner" }]);

    const repeated = await api("POST", "/api/groups/create/", { token: carol.access, body: { name: uniqueName(), members: [carol.id, dave.id, dave.id] } });
    expect(repeated.status).toBe(201);
    expect([...repeated.body.members].sort()).toEqual([carol.id, dave.id].sort());
    expect(await memberRows(repeated.body.id)).toEqual(
      [
        { user_id: carol.id, role: "owner" },
        { user_id: dave.id, role: "member" },
      ].sort((a, b) => a.user_id - b.user_id),
    );
  });

  test("a taken name, in any case, is refused with 400 naming the field, and nothing is created", async () => {
    const name = uniqueName("Rockets");
    await createGroup(api, alice, [], name);
    const before = await counts(parley);
    for (const taken of [name, name.toUpperCase(), name.toLowerCase(), `  ${name}  `]) {
      const response = await api("POST", "/api/groups/create/", { token: bob.access, body: { name: taken, members: [] } });
      expect(response.status, taken).toBe(400);
      expect(response.body, taken).toEqual({ name: ["Group name already exists."] });
    }
    expect(await counts(parley)).toEqual(before);
  });

  test("an empty, blank, missing or over-long name is a 400 naming the field", async () => {
    const before = await counts(parley);
    for (const body of [{ name: "" }, { name: "   " }, { members: [bob.id] }, { name: "x".repeat(101) }, { name: 42 }, { name: null }]) {
      const response = await api("POST", "/api/groups/create/", { token: alice.access, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body)).toEqual(["name"]);
      expect(response.body.name.length).toBeGreaterThan(0);
    }
    expect(await counts(parley)).toEqual(before);
  });

  test("an unknown member id is a 400 naming the field, and nothing is created", async () => {
    const before = await counts(parley);
    const name = uniqueName();
    const response = await api("POST", "/api/groups/create/", { token: alice.access, body: { name, members: [bob.id, 9_999_999] } });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body)).toEqual(["members"]);
    expect(response.body.members[0]).toContain("9999999");
    expect(await counts(parley)).toEqual(before);
    // The name was not taken by the failed attempt.
    expect((await api("POST", "/api/groups/create/", { token: alice.access, body: { name } })).status).toBe(201);
  });

  test("malformed members are a 400 naming the field", async () => {
    const before = await counts(parley);
    for (const members of ["abc", "[1, 2", [0], [-1], [1.5], ["x"], "[null]", { id: 1 }, [true]]) {
      const response = await api("POST", "/api/groups/create/", { token: alice.access, body: { name: uniqueName(), members } });
      expect(response.status, JSON.stringify(members)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(members)).toEqual(["members"]);
    }
    expect(await counts(parley)).toEqual(before);
  });

  test("anonymous → 401, malformed JSON → 400", async () => {
    const anonymous = await api("POST", "/api/groups/create/", { body: { name: uniqueName() } });
    expect(anonymous.status).toBe(401);
    const malformed = await api("POST", "/api/groups/create/", { token: alice.access, body: "{", headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
  });
});

describe("one id sequence for groups and direct conversations", () => {
  test("group and direct conversations take distinct, increasing ids, and a group's id is its conversation id", async () => {
    const g1 = await createGroup(api, alice, [bob.id]);
    const d1 = await directWith(api, alice, carol);
    const g2 = await createGroup(api, bob, [alice.id]);
    const d2 = await directWith(api, bob, dave);
    const ids = [g1.id, d1, g2.id, d2];
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect((await conversationRow(d1))!.kind).toBe("direct");
    expect((await conversationRow(g2.id))!.kind).toBe("group");

    // The group's id addresses its messages.
    const sent = await sendText(api, bob, g1.id, "into the group");
    expect(sent.conversation_id).toBe(g1.id);
    expect(sent.receiver_group).toBe(g1.id);
    const history = await api("GET", `/api/messages/${g1.id}/`, { token: alice.access });
    expect(history.body.map((m: { id: number }) => m.id)).toEqual([sent.id]);
  });
});

describe("GET /api/groups/", () => {
  test("lists exactly the caller's groups (not direct conversations, not others' groups)", async () => {
    const [erin, frank] = await Promise.all([registerUser(api, "erin"), registerUser(api, "frank")]);
    const own = await createGroup(api, erin);
    const invited = await createGroup(api, frank, [erin.id]);
    const foreign = await createGroup(api, frank);
    await directWith(api, erin, frank);

    const response = await api("GET", "/api/groups/", { token: erin.access });
    expect(response.status).toBe(200);
    expect(response.body.map((g: { id: number }) => g.id).sort()).toEqual([own.id, invited.id].sort());
    const listed = response.body.find((g: { id: number }) => g.id === invited.id);
    expect(listed).toMatchObject({ id: invited.id, name: invited.name, created_by: frank.id });
    expect([...listed.members].sort()).toEqual([erin.id, frank.id].sort());
    expect(response.body.some((g: { id: number }) => g.id === foreign.id)).toBe(false);

    const empty = await registerUser(api, "nobody");
    expect((await api("GET", "/api/groups/", { token: empty.access })).body).toEqual([]);
    expect((await api("GET", "/api/groups/")).status).toBe(401);
  });
});

describe("join and leave", () => {
  test("anyone may join an open group: 200 {message}, and joining again changes nothing", async () => {
    const group = await createGroup(api, alice);
    for (let i = 0; i < 2; i++) {
      const response = await api("POST", `/api/groups/${group.id}/join/`, { token: dave.access });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ message: "Joined the group successfully." });
    }
    expect(await memberRows(group.id)).toEqual(
      [
        { user_id: alice.id, role: "owner" },
        { user_id: dave.id, role: "member" },
      ].sort((a, b) => a.user_id - b.user_id),
    );
    // The owner joining their own group stays owner.
    expect((await api("POST", `/api/groups/${group.id}/join/`, { token: alice.access })).status).toBe(200);
    expect(await memberRows(group.id)).toContainEqual({ user_id: alice.id, role: "owner" });
    // Joined means: may read and send.
    expect((await api("GET", `/api/messages/${group.id}/`, { token: dave.access })).status).toBe(200);
    expect((await api("POST", `/api/messages/${group.id}/send/`, { token: dave.access, body: { message: "hello" } })).status).toBe(201);
    const listed = await api("GET", "/api/groups/", { token: dave.access });
    expect(listed.body.map((g: { id: number }) => g.id)).toContain(group.id);
  });

  test("leave answers 200 {message}, removes the membership and the access; leaving again is still 200", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const response = await api("POST", `/api/groups/${group.id}/leave/`, { token: bob.access });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Left the group successfully." });
    expect(await memberRows(group.id)).toEqual([{ user_id: alice.id, role: "owner" }]);
    expect((await api("GET", `/api/messages/${group.id}/`, { token: bob.access })).status).toBe(403);
    expect((await api("POST", `/api/messages/${group.id}/send/`, { token: bob.access, body: { message: "still here?" } })).status).toBe(403);
    expect((await api("GET", "/api/groups/", { token: bob.access })).body.map((g: { id: number }) => g.id)).not.toContain(group.id);

    const again = await api("POST", `/api/groups/${group.id}/leave/`, { token: bob.access });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ message: "Left the group successfully." });
    // A user who never was a member may "leave" too (as the original), and nothing changes.
    expect((await api("POST", `/api/groups/${group.id}/leave/`, { token: dave.access })).status).toBe(200);
    expect(await memberRows(group.id)).toEqual([{ user_id: alice.id, role: "owner" }]);
  });

  test("the last owner cannot leave while others remain (409), and can after making someone else owner", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const refused = await api("POST", `/api/groups/${group.id}/leave/`, { token: alice.access });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "conflict", detail: "You are the group's last owner: make another member owner before leaving." });
    expect(await memberRows(group.id)).toContainEqual({ user_id: alice.id, role: "owner" });

    expect((await api("PATCH", `/api/groups/${group.id}/members/${bob.id}/`, { token: alice.access, body: { role: "owner" } })).status).toBe(200);
    expect((await api("POST", `/api/groups/${group.id}/leave/`, { token: alice.access })).status).toBe(200);
    expect(await memberRows(group.id)).toEqual([{ user_id: bob.id, role: "owner" }]);
  });

  test("an unknown group, a direct conversation's id, or a malformed id → 404 for join and leave", async () => {
    const direct = await directWith(api, alice, bob);
    const before = await counts(parley);
    for (const action of ["join", "leave"]) {
      for (const id of [9_999_999, direct, 0, -1, "abc", "1.5", "99999999999999999999"]) {
        const response = await api("POST", `/api/groups/${id}/${action}/`, { token: carol.access });
        expect(response.status, `${action} ${id}`).toBe(404);
        expect(response.body.detail, `${action} ${id}`).toBeString();
      }
    }
    expect(await counts(parley)).toEqual(before);
    expect(await memberRows(direct)).toEqual(
      [
        { user_id: alice.id, role: "member" },
        { user_id: bob.id, role: "member" },
      ].sort((a, b) => a.user_id - b.user_id),
    );
  });

  test("anonymous join and leave → 401 and change nothing", async () => {
    const group = await createGroup(api, alice);
    expect((await api("POST", `/api/groups/${group.id}/join/`)).status).toBe(401);
    expect((await api("POST", `/api/groups/${group.id}/leave/`)).status).toBe(401);
    expect((await api("POST", `/api/groups/${group.id}/join/`, { token: "not-a-token" })).status).toBe(401);
    expect(await memberRows(group.id)).toEqual([{ user_id: alice.id, role: "owner" }]);
  });
});
