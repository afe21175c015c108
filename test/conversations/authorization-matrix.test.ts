// Who may do what: anonymous, stranger, member, owner and staff × every chat endpoint.
// Staff are not members: they get 403 on conversation content like any stranger. Refusals reveal nothing.
import { describe, expect, test } from "bun:test";
import { makeApp, type ApiResponse, type TestUser } from "../helpers";
import { counts, createGroup, directWith, expectRefused, makeStaff, send, uniqueName, upload, uploadedFiles, registerUsers } from "../chat-helpers";

const { parley, api } = await makeApp();
const db = parley.ctx.db;

const ROLES = ["anonymous", "stranger", "member", "owner", "staff"] as const;
type Role = (typeof ROLES)[number];

const [owner, member, stranger, staff] = await registerUsers(api, ["owner", "member", "stranger", "staff"]);
await makeStaff(parley, staff.id);
const users: Record<Role, TestUser | undefined> = { anonymous: undefined, stranger, member, owner, staff };
const tokenOf = (role: Role) => users[role]?.access;

// The protected content: a group and a direct conversation, each with a secret text and a secret file.
const SECRET = `secret-${crypto.randomUUID()}`;
const SECRET_FILE = `secret-file-${crypto.randomUUID()}.txt`;
const group = await createGroup(api, owner, [member.id], uniqueName("private-circle"));
const direct = await directWith(api, owner, member);
const sent = {
  groupText: (await send(api, owner, group.id, { message: `${SECRET} in the group` })).body,
  groupFile: (await upload(api, member, group.id, `${SECRET} file bytes`, SECRET_FILE, "text/plain", { message: "see attached" })).body,
  directText: (await send(api, member, direct, { message: `${SECRET} in private` })).body,
  directFile: (await upload(api, owner, direct, `${SECRET} private bytes`, SECRET_FILE, "text/plain")).body,
};
const SECRETS = [SECRET, SECRET_FILE, group.name];

const membership = (conversationId: number, userId: number) =>
  db.selectFrom("conversation_members").select("role").where("conversation_id", "=", conversationId).where("user_id", "=", userId).executeTakeFirst();

interface Cell {
  /** Expected status for each role. */
  expected: Record<Role, number>;
  run(role: Role): Promise<ApiResponse>;
  /** Extra checks after the status matched. */
  check?(role: Role, response: ApiResponse): Promise<void> | void;
}

const contentRule = { anonymous: 401, stranger: 403, member: 200, owner: 200, staff: 403 } satisfies Record<Role, number>;
const sendRule = { ...contentRule, member: 201, owner: 201 } satisfies Record<Role, number>;
const openRule = { anonymous: 401, stranger: 200, member: 200, owner: 200, staff: 200 } satisfies Record<Role, number>;

/** A refused write stored nothing; an accepted one stored one message. */
async function sendCheck(role: Role, response: ApiResponse, before: Awaited<ReturnType<typeof counts>>, bytesBefore: string[]) {
  if (response.status === 201) {
    expect(response.body.sender).toBe(users[role]!.id);
    expect((await counts(parley)).messages).toBe(before.messages + 1);
  } else {
    expectRefused(response, response.status, SECRETS);
    expect(await counts(parley)).toEqual(before);
    expect(uploadedFiles(parley)).toEqual(bytesBefore);
  }
}

/** A send cell: runs `request` and checks rows and uploads around it. */
function sendCell(request: (role: Role) => Promise<ApiResponse>): Cell {
  return {
    expected: sendRule,
    async run(role) {
      const before = await counts(parley);
      const bytesBefore = uploadedFiles(parley);
      const response = await request(role);
      await sendCheck(role, response, before, bytesBefore);
      return response;
    },
  };
}

function contentCheck(_role: Role, response: ApiResponse, mustContain: string) {
  if (response.status === 200) expect(JSON.stringify(response.body)).toContain(mustContain);
  else expectRefused(response, response.status, SECRETS);
}

const endpoints: Record<string, Cell> = {
  "POST /api/groups/create/": {
    expected: { ...openRule, stranger: 201, member: 201, owner: 201, staff: 201 },
    run: (role) => api("POST", "/api/groups/create/", { token: tokenOf(role), body: { name: uniqueName(role), members: [member.id] } }),
    async check(role, response) {
      if (response.status !== 201) return;
      expect(response.body.members).toContain(users[role]!.id);
      expect((await membership(response.body.id, users[role]!.id))?.role).toBe("owner");
    },
  },
  "GET /api/groups/": {
    expected: openRule,
    run: (role) => api("GET", "/api/groups/", { token: tokenOf(role) }),
    check(role, response) {
      if (response.status !== 200) return expectRefused(response, 401, SECRETS);
      const listed = response.body.some((g: { id: number }) => g.id === group.id);
      expect(listed).toBe(role === "member" || role === "owner");
      if (!listed) expect(JSON.stringify(response.body)).not.toContain(group.name);
    },
  },
  "POST /api/groups/{id}/join/": {
    expected: openRule,
    async run(role) {
      const fresh = await createGroup(api, owner, [member.id]);
      const response = await api("POST", `/api/groups/${fresh.id}/join/`, { token: tokenOf(role) });
      (response as ApiResponse & { groupId: number }).groupId = fresh.id;
      return response;
    },
    async check(role, response) {
      const groupId = (response as ApiResponse & { groupId: number }).groupId;
      if (role === "anonymous") return;
      expect(response.body).toEqual({ message: "Joined the group successfully." });
      expect((await membership(groupId, users[role]!.id))?.role).toBe(role === "owner" ? "owner" : "member");
    },
  },
  "POST /api/groups/{id}/leave/": {
    // The owner is the group's last owner and others remain: they must hand over first.
    expected: { ...openRule, owner: 409 },
    async run(role) {
      const fresh = await createGroup(api, owner, [member.id]);
      const response = await api("POST", `/api/groups/${fresh.id}/leave/`, { token: tokenOf(role) });
      (response as ApiResponse & { groupId: number }).groupId = fresh.id;
      return response;
    },
    async check(role, response) {
      const groupId = (response as ApiResponse & { groupId: number }).groupId;
      if (role === "anonymous") {
        expect(await membership(groupId, owner.id)).toBeDefined();
        expect(await membership(groupId, member.id)).toBeDefined();
        return;
      }
      if (role === "owner") {
        expect(response.body.code).toBe("conflict");
        expect((await membership(groupId, owner.id))?.role).toBe("owner");
        return;
      }
      expect(response.body).toEqual({ message: "Left the group successfully." });
      expect(await membership(groupId, users[role]!.id)).toBeUndefined();
    },
  },
  "GET /api/conversations/": {
    expected: openRule,
    run: (role) => api("GET", "/api/conversations/", { token: tokenOf(role) }),
    check(role, response) {
      if (response.status !== 200) return expectRefused(response, 401, SECRETS);
      const ids = response.body.map((c: { id: number }) => c.id);
      const insider = role === "member" || role === "owner";
      expect(ids.includes(group.id)).toBe(insider);
      expect(ids.includes(direct)).toBe(insider);
      if (!insider) for (const secret of SECRETS) expect(JSON.stringify(response.body)).not.toContain(secret);
    },
  },
  "POST /api/conversations/direct/": {
    // With the owner: new for stranger and staff, existing for the member, a new self-conversation for the owner.
    expected: { anonymous: 401, stranger: 201, member: 200, owner: 201, staff: 201 },
    run: (role) => api("POST", "/api/conversations/direct/", { token: tokenOf(role), body: { user_id: owner.id } }),
    check(role, response) {
      if (role === "member") expect(response.body.id).toBe(direct);
      else if (role !== "anonymous") {
        expect(response.body.id).not.toBe(direct);
        expect(response.body.last_message).toBeNull();
      }
    },
  },
  "POST /api/messages/{group}/send/": sendCell((role) => send(api, users[role], group.id, { message: `from ${role}` })),
  "POST /api/messages/{direct}/send/": sendCell((role) => send(api, users[role], direct, { message: `from ${role}` })),
  "POST /api/messages/0/send/ {receiver_group}": sendCell((role) => send(api, users[role], 0, { message: `from ${role}`, receiver_group: group.id })),
  "POST /api/messages/{group}/send/ with a file": sendCell((role) => upload(api, users[role], group.id, `bytes from ${role}`, `${role}.txt`, "text/plain")),
  "GET /api/messages/{group}/": {
    expected: contentRule,
    run: (role) => api("GET", `/api/messages/${group.id}/?limit=100`, { token: tokenOf(role) }),
    check: (role, response) => contentCheck(role, response, `${SECRET} in the group`),
  },
  "GET /api/messages/{direct}/": {
    expected: contentRule,
    run: (role) => api("GET", `/api/messages/${direct}/?limit=100`, { token: tokenOf(role) }),
    check: (role, response) => contentCheck(role, response, `${SECRET} in private`),
  },
  "GET /api/messages/{group}/?before=": {
    expected: contentRule,
    run: (role) => api("GET", `/api/messages/${group.id}/?before=${sent.groupFile.id}`, { token: tokenOf(role) }),
    check: (role, response) => contentCheck(role, response, `${SECRET} in the group`),
  },
  "GET /api/messages/files/{group file message}/": {
    expected: contentRule,
    run: (role) => api("GET", `/api/messages/files/${sent.groupFile.id}/`, { token: tokenOf(role) }),
    check: (role, response) => contentCheck(role, response, SECRET_FILE),
  },
  "GET /api/messages/files/{direct file message}/": {
    expected: contentRule,
    run: (role) => api("GET", `/api/messages/files/${sent.directFile.id}/`, { token: tokenOf(role) }),
    check: (role, response) => contentCheck(role, response, SECRET_FILE),
  },
  "GET signed file URL (no Authorization needed)": {
    expected: { anonymous: 200, stranger: 200, member: 200, owner: 200, staff: 200 },
    run: (role) => api("GET", sent.groupFile.file, { token: tokenOf(role) }),
    check: (_role, response) => expect(response.body).toBe(`${SECRET} file bytes`),
  },
  "GET file URL without its signature": {
    expected: { anonymous: 404, stranger: 404, member: 404, owner: 404, staff: 404 },
    run: (role) => api("GET", sent.groupFile.file.split("?")[0], { token: tokenOf(role) }),
    check: (_role, response) => expectRefused(response, 404, SECRETS),
  },
};

test("the fixture is what the matrix assumes", async () => {
  expect(sent.groupText.conversation_id).toBe(group.id);
  expect(sent.groupFile.file).toStartWith(`/api/files/`);
  expect(sent.directFile.conversation_id).toBe(direct);
  expect((await db.selectFrom("users").select("is_staff").where("id", "=", staff.id).executeTakeFirstOrThrow()).is_staff).toBe(1);
  expect(await membership(group.id, staff.id)).toBeUndefined();
  expect(await membership(direct, staff.id)).toBeUndefined();
});

for (const [endpoint, cell] of Object.entries(endpoints)) {
  describe(endpoint, () => {
    for (const role of ROLES) {
      test(`${role} → ${cell.expected[role]}`, async () => {
        const response = await cell.run(role);
        expect(response.status, JSON.stringify(response.body)).toBe(cell.expected[role]);
        if (response.status === 401) expect(response.body.detail).toBeString();
        await cell.check?.(role, response);
      });
    }
  });
}

describe("malformed or unknown ids: 401 for anonymous, 404 for everyone else, never 500", () => {
  const ids = ["0", "-1", "abc", "1.5", "1e3", "99999999999999999999", "9999999"];
  const paths = (id: string) => [
    ["POST", `/api/groups/${id}/join/`],
    ["POST", `/api/groups/${id}/leave/`],
    ["POST", `/api/messages/${id}/send/`],
    ["GET", `/api/messages/${id}/`],
    ["GET", `/api/messages/files/${id}/`],
  ];
  for (const role of ROLES) {
    test(role, async () => {
      const before = await counts(parley);
      for (const id of ids) {
        for (const [method, path] of paths(id)) {
          const response = await api(method!, path!, { token: tokenOf(role), body: method === "POST" ? { message: "x" } : undefined });
          expect(response.status, `${method} ${path}`).toBe(role === "anonymous" ? 401 : 404);
          expect(response.headers.get("content-type"), `${method} ${path}`).toContain("application/json");
        }
        const download = await api("GET", `/api/files/${id}/download/?expires=9999999999&signature=AAAA`, { token: tokenOf(role) });
        expect(download.status, `download ${id}`).toBe(404);
      }
      expect(await counts(parley)).toEqual(before);
    });
  }
});

describe("malformed bodies: 400, and nothing stored", () => {
  const unparseable: [string, string][] = [
    ["/api/groups/create/", "{"],
    ["/api/conversations/direct/", "{"],
    [`/api/messages/${group.id}/send/`, "{not json"],
  ];
  const invalid: [string, string][] = [
    ["/api/groups/create/", "[]"],
    ["/api/groups/create/", '{"name": ["x"]}'],
    ["/api/conversations/direct/", '"text"'],
    ["/api/conversations/direct/", '{"user_id": {"id": 1}}'],
    [`/api/messages/${group.id}/send/`, "null"],
    [`/api/messages/${group.id}/send/`, '{"message": {"text": "x"}}'],
  ];
  for (const role of ROLES) {
    test(role, async () => {
      const before = await counts(parley);
      // Bytes that are not JSON are refused while parsing, before authentication: 400 for everyone, anonymous included.
      for (const [path, body] of unparseable) {
        const response = await api("POST", path, { token: tokenOf(role), body, headers: { "content-type": "application/json" } });
        expect(response.status, `${path} ${body}`).toBe(400);
        expect(response.body.code, `${path} ${body}`).toBe("bad_request");
      }
      // JSON of the wrong shape is checked after authentication: anonymous 401, everyone else 400.
      for (const [path, body] of invalid) {
        const response = await api("POST", path, { token: tokenOf(role), body, headers: { "content-type": "application/json" } });
        expect(response.status, `${path} ${body}`).toBe(role === "anonymous" ? 401 : 400);
      }
      expect(await counts(parley)).toEqual(before);
    });
  }
});

test("staff get no more than a stranger: not listed as members, no content in any listing", async () => {
  const groups = await api("GET", "/api/groups/", { token: staff.access });
  const conversations = await api("GET", "/api/conversations/", { token: staff.access });
  for (const response of [groups, conversations]) {
    expect(response.status).toBe(200);
    for (const secret of SECRETS) expect(JSON.stringify(response.body)).not.toContain(secret);
  }
});
