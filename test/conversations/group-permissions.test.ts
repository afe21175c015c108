// Group administration, who may do what: anonymous, stranger, member, admin, owner and staff × every operation,
// on a fresh group each time. A refusal changes nothing (rows and event log); an accepted change is in the rows.
import { describe, expect, test } from "bun:test";
import { makeApp, type ApiResponse, type TestUser } from "../helpers";
import { createGroup, directWith, makeStaff, registerUsers, uniqueName } from "../chat-helpers";

const { parley, api } = await makeApp();
const db = parley.ctx.db;

const ACTORS = ["anonymous", "stranger", "member", "admin", "owner", "staff"] as const;
type Actor = (typeof ACTORS)[number];

const [owner, owner2, admin, admin2, member, member2, stranger, staff, newcomer] = await registerUsers(api, [
  "owner",
  "owner2",
  "admin",
  "admin2",
  "member",
  "member2",
  "stranger",
  "staff",
  "newcomer",
]);
await makeStaff(parley, staff.id);
const users: Record<Actor, TestUser | undefined> = { anonymous: undefined, stranger, member, admin, owner, staff };

/** A group with two owners, two admins and two plain members (roles set in the table, not through the API under test). */
async function fixture(): Promise<number> {
  const group = await createGroup(api, owner, [owner2.id, admin.id, admin2.id, member.id, member2.id]);
  const setRole = (userIds: number[], role: "owner" | "admin") =>
    db.updateTable("conversation_members").set({ role }).where("conversation_id", "=", group.id).where("user_id", "in", userIds).execute();
  await setRole([owner2.id], "owner");
  await setRole([admin.id, admin2.id], "admin");
  return group.id;
}

const roleOf = async (groupId: number, userId: number) =>
  (await db.selectFrom("conversation_members").select("role").where("conversation_id", "=", groupId).where("user_id", "=", userId).executeTakeFirst())?.role;

/** Everything an operation could change: the group's row, its members and roles, and its events in the log. */
async function snapshot(groupId: number) {
  return {
    group: await db.selectFrom("conversations").selectAll().where("id", "=", groupId).executeTakeFirst(),
    members: await db.selectFrom("conversation_members").select(["user_id", "role"]).where("conversation_id", "=", groupId).orderBy("user_id").execute(),
    events: (await db.selectFrom("events").select("seq").where("conversation_id", "=", groupId).execute()).length,
  };
}

const statuses = (anonymous: number, stranger: number, member: number, admin: number, owner: number, staff: number): Record<Actor, number> => ({
  anonymous,
  stranger,
  member,
  admin,
  owner,
  staff,
});

interface Cell {
  expected: Record<Actor, number>;
  run(groupId: number, actor: Actor): Promise<ApiResponse>;
  /** After an accepted request: the change is in the database (and the answer is the group). */
  accepted(groupId: number, actor: Actor, response: ApiResponse): Promise<void>;
  /** Accepted requests that change nothing (no event logged): e.g. setting a role someone already has. */
  noChange?: Actor[];
}

const patchRole = (groupId: number, actor: Actor, target: TestUser, role: string) =>
  api("PATCH", `/api/groups/${groupId}/members/${target.id}/`, { token: users[actor]?.access, body: { role } });
const remove = (groupId: number, actor: Actor, target: TestUser) =>
  api("DELETE", `/api/groups/${groupId}/members/${target.id}/`, { token: users[actor]?.access });
const self = (actor: Actor) => users[actor] ?? member;

const cells: Record<string, Cell> = {
  "rename (PATCH /api/groups/{id}/ {name})": {
    expected: statuses(401, 403, 403, 200, 200, 200),
    run: (g, actor) => api("PATCH", `/api/groups/${g}/`, { token: users[actor]?.access, body: { name: `renamed by ${actor} ${g}` } }),
    async accepted(g, actor, response) {
      expect(response.body.name).toBe(`renamed by ${actor} ${g}`);
      expect((await snapshot(g)).group!.name).toBe(`renamed by ${actor} ${g}`);
    },
  },
  "make private (PATCH /api/groups/{id}/ {private})": {
    expected: statuses(401, 403, 403, 200, 200, 200),
    run: (g, actor) => api("PATCH", `/api/groups/${g}/`, { token: users[actor]?.access, body: { private: true } }),
    async accepted(g, _actor, response) {
      expect(response.body.private).toBe(true);
      expect((await snapshot(g)).group!.private).toBe(1);
    },
  },
  "add a member (POST /api/groups/{id}/members/)": {
    expected: statuses(401, 403, 403, 201, 201, 201),
    run: (g, actor) => api("POST", `/api/groups/${g}/members/`, { token: users[actor]?.access, body: { user_id: newcomer.id } }),
    async accepted(g, _actor, response) {
      expect(response.body.members).toContain(newcomer.id);
      expect(response.body.roles).toContainEqual({ user_id: newcomer.id, role: "member" });
      expect(await roleOf(g, newcomer.id)).toBe("member");
    },
  },
  "promote a member to admin": {
    expected: statuses(401, 403, 403, 200, 200, 200),
    run: (g, actor) => patchRole(g, actor, member2, "admin"),
    async accepted(g, _actor, response) {
      expect(response.body.roles).toContainEqual({ user_id: member2.id, role: "admin" });
      expect(await roleOf(g, member2.id)).toBe("admin");
    },
  },
  "promote a member to owner": {
    expected: statuses(401, 403, 403, 403, 200, 200),
    run: (g, actor) => patchRole(g, actor, member2, "owner"),
    accepted: async (g) => expect(await roleOf(g, member2.id)).toBe("owner"),
  },
  "demote another admin": {
    expected: statuses(401, 403, 403, 403, 200, 200),
    run: (g, actor) => patchRole(g, actor, admin2, "member"),
    accepted: async (g) => expect(await roleOf(g, admin2.id)).toBe("member"),
  },
  "demote another owner": {
    expected: statuses(401, 403, 403, 403, 403, 200),
    run: (g, actor) => patchRole(g, actor, owner2, "admin"),
    accepted: async (g) => expect(await roleOf(g, owner2.id)).toBe("admin"),
  },
  "remove a plain member": {
    expected: statuses(401, 403, 403, 200, 200, 200),
    run: (g, actor) => remove(g, actor, member2),
    async accepted(g, _actor, response) {
      expect(response.body.members).not.toContain(member2.id);
      expect(await roleOf(g, member2.id)).toBeUndefined();
    },
  },
  "remove another admin": {
    expected: statuses(401, 403, 403, 403, 200, 200),
    run: (g, actor) => remove(g, actor, admin2),
    accepted: async (g) => expect(await roleOf(g, admin2.id)).toBeUndefined(),
  },
  "remove another owner": {
    expected: statuses(401, 403, 403, 403, 403, 200),
    run: (g, actor) => remove(g, actor, owner2),
    accepted: async (g) => expect(await roleOf(g, owner2.id)).toBeUndefined(),
  },
  "lower your own role to member": {
    // Staff are not members of the group: there is no membership of theirs to change (404).
    expected: statuses(401, 403, 200, 200, 200, 404),
    run: (g, actor) => patchRole(g, actor, self(actor), "member"),
    accepted: async (g, actor) => expect(await roleOf(g, self(actor).id)).toBe("member"),
    noChange: ["member"],
  },
  "raise your own role to owner": {
    expected: statuses(401, 403, 403, 403, 200, 404),
    run: (g, actor) => patchRole(g, actor, self(actor), "owner"),
    accepted: async (g, actor) => expect(await roleOf(g, self(actor).id)).toBe("owner"),
    noChange: ["owner"],
  },
  "remove yourself (leave)": {
    expected: statuses(401, 403, 200, 200, 200, 404),
    run: (g, actor) => remove(g, actor, self(actor)),
    accepted: async (g, actor) => expect(await roleOf(g, self(actor).id)).toBeUndefined(),
  },
};

for (const [operation, cell] of Object.entries(cells)) {
  describe(operation, () => {
    for (const actor of ACTORS) {
      test(`${actor} → ${cell.expected[actor]}`, async () => {
        const groupId = await fixture();
        const before = await snapshot(groupId);
        const response = await cell.run(groupId, actor);
        expect(response.status, JSON.stringify(response.body)).toBe(cell.expected[actor]);
        if (response.status >= 400) {
          expect(response.body.detail, JSON.stringify(response.body)).toBeString();
          expect(await snapshot(groupId)).toEqual(before);
          return;
        }
        expect(response.body.id).toBe(groupId);
        await cell.accepted(groupId, actor, response);
        const after = await snapshot(groupId);
        expect(after.events - before.events).toBe(cell.noChange?.includes(actor) ? 0 : 1);
      });
    }
  });
}

describe("unknown groups, direct conversations, non-members as targets", () => {
  test("an unknown group or a direct conversation's id is a 404 for every operation and every caller, staff included", async () => {
    const direct = await directWith(api, owner, member);
    for (const id of [9_999_999, direct]) {
      for (const user of [owner, stranger, staff]) {
        const token = user.access;
        const answers = [
          await api("PATCH", `/api/groups/${id}/`, { token, body: { name: uniqueName() } }),
          await api("POST", `/api/groups/${id}/members/`, { token, body: { user_id: newcomer.id } }),
          await api("PATCH", `/api/groups/${id}/members/${member.id}/`, { token, body: { role: "admin" } }),
          await api("DELETE", `/api/groups/${id}/members/${member.id}/`, { token }),
        ];
        for (const answer of answers) {
          expect(answer.status, `${id} ${user.username}`).toBe(404);
          expect(answer.body.code).toBe("not_found");
        }
      }
    }
    expect((await db.selectFrom("conversation_members").select("role").where("conversation_id", "=", direct).execute()).map((r) => r.role)).toEqual([
      "member",
      "member",
    ]);
  });

  test("changing or removing someone who is not a member (or no user at all) is a 404, for owners and staff alike", async () => {
    const groupId = await fixture();
    const before = await snapshot(groupId);
    for (const caller of [owner, staff]) {
      for (const target of [stranger.id, 9_999_999]) {
        const changed = await api("PATCH", `/api/groups/${groupId}/members/${target}/`, { token: caller.access, body: { role: "admin" } });
        expect(changed.status).toBe(404);
        expect(changed.body.detail).toBe("This user is not a member of the group.");
        expect((await api("DELETE", `/api/groups/${groupId}/members/${target}/`, { token: caller.access })).status).toBe(404);
      }
    }
    // A plain member asking about others is refused before anything about them is looked up.
    expect((await api("DELETE", `/api/groups/${groupId}/members/${stranger.id}/`, { token: member.access })).status).toBe(403);
    expect(await snapshot(groupId)).toEqual(before);
  });

  test("malformed ids in the path are 404 (anonymous: 401), never 500", async () => {
    const groupId = await fixture();
    const before = await snapshot(groupId);
    for (const bad of ["abc", "0", "-1", "1.5", "99999999999999999999"]) {
      for (const token of [owner.access, undefined]) {
        const expected = token ? 404 : 401;
        expect((await api("PATCH", `/api/groups/${bad}/`, { token, body: { name: uniqueName() } })).status, bad).toBe(expected);
        expect((await api("POST", `/api/groups/${bad}/members/`, { token, body: { user_id: newcomer.id } })).status, bad).toBe(expected);
        expect((await api("PATCH", `/api/groups/${groupId}/members/${bad}/`, { token, body: { role: "admin" } })).status, bad).toBe(expected);
        expect((await api("DELETE", `/api/groups/${groupId}/members/${bad}/`, { token })).status, bad).toBe(expected);
        expect((await api("DELETE", `/api/groups/${bad}/members/${member.id}/`, { token })).status, bad).toBe(expected);
      }
    }
    expect(await snapshot(groupId)).toEqual(before);
  });
});
