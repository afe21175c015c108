// The admin API: staff only, and each chore's effect seen where users meet it.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { listen, registerUser, type TestUser } from "../helpers";
import { openSocket, wsUrl } from "../ws-helpers";
import { uploadsDir } from "../chat-helpers";

describe("admin API", async () => {
  const { server, api } = await listen();
  const db = server.parley.ctx.db;
  const staff = await registerUser(api, "staff");
  await db.updateTable("users").set({ is_staff: 1 }).where("id", "=", staff.id).execute();
  const alice = await registerUser(api, "alice_admin");
  const bob = await registerUser(api, "bob");
  const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "Admin Watch", members: [bob.id] } })).body;

  const routes: Array<[string, string]> = [
    ["GET", "/api/admin/users/"],
    ["POST", `/api/admin/users/${bob.id}/deactivate/`],
    ["POST", `/api/admin/users/${bob.id}/reactivate/`],
    ["DELETE", "/api/admin/messages/1/"],
    ["GET", "/api/admin/groups/"],
  ];

  test("anonymous callers get 401 and non-staff 403 on every admin route, changing nothing", async () => {
    for (const [method, path] of routes) {
      expect((await api(method, path)).status).toBe(401);
      const refused = await api(method, path, { token: alice.access });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe("forbidden");
    }
    const row = await db.selectFrom("users").select("is_active").where("id", "=", bob.id).executeTakeFirstOrThrow();
    expect(row.is_active).toBe(1);
  });

  test("list and search users: newest first, by the start of a username or email, with an id cursor", async () => {
    const all = (await api("GET", "/api/admin/users/", { token: staff.access })).body;
    expect(all.map((u: any) => u.id)).toEqual([...all.map((u: any) => u.id)].sort((a: number, b: number) => b - a));
    expect(all[0]).toMatchObject({ id: bob.id, email: bob.email, is_active: true, is_staff: false });
    const found = (await api("GET", `/api/admin/users/?q=${encodeURIComponent(alice.username.slice(0, 7).toUpperCase())}`, { token: staff.access })).body;
    expect(found.map((u: any) => u.id)).toEqual([alice.id]); // "alice_a": the underscore is literal, case does not matter
    expect((await api("GET", "/api/admin/users/?q=%25", { token: staff.access })).body).toEqual([]);
    const page = (await api("GET", `/api/admin/users/?before=${bob.id}&limit=1`, { token: staff.access })).body;
    expect(page.map((u: any) => u.id)).toEqual([alice.id]);
    expect((await api("GET", "/api/admin/users/?limit=0", { token: staff.access })).status).toBe(400);
  });

  test("deactivating ends the account's tokens and sockets and refuses its login; reactivating lets it log in again", async () => {
    const carol: TestUser = await registerUser(api, "carol");
    const socket = await openSocket(wsUrl(server.url, "/ws", carol.access));
    await socket.next("hello");
    const off = await api("POST", `/api/admin/users/${carol.id}/deactivate/`, { token: staff.access });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: carol.id, is_active: false });
    expect((await socket.closed).code).toBe(1008);
    expect((await api("GET", "/api/users/protected/", { token: carol.access })).status).toBe(401);
    expect((await api("POST", "/api/token/refresh/", { body: { refresh: carol.refresh } })).status).toBe(401);
    expect((await api("POST", "/api/login/", { body: { email: carol.email, password: carol.password } })).status).toBe(401);
    const on = await api("POST", `/api/admin/users/${carol.id}/reactivate/`, { token: staff.access });
    expect(on.body).toMatchObject({ id: carol.id, is_active: true });
    expect((await api("POST", "/api/login/", { body: { email: carol.email, password: carol.password } })).status).toBe(200);
    expect((await api("GET", "/api/users/protected/", { token: carol.access })).status).toBe(401); // old tokens stay dead
    expect((await api("POST", `/api/admin/users/${staff.id}/deactivate/`, { token: staff.access })).status).toBe(400);
    expect((await api("POST", "/api/admin/users/999999/deactivate/", { token: staff.access })).status).toBe(404);
  });

  test("deleting any message: members see message.deleted live, the history keeps a tombstone, the file's bytes are gone", async () => {
    const watcher = await openSocket(wsUrl(server.url, "/ws", bob.access));
    await watcher.next("hello");
    const form = new FormData();
    form.append("message", "remove me");
    form.append("file", new File(["secret bytes"], "secret.txt", { type: "text/plain" }));
    const sent = (await api("POST", `/api/messages/${group.id}/send/`, { token: alice.access, body: form })).body;
    const kept = (await api("POST", `/api/messages/${group.id}/send/`, { token: alice.access, body: { message: "keep me" } })).body;
    const uploads = uploadsDir(server.parley);
    const file = await db.selectFrom("files").select("storage_name").executeTakeFirstOrThrow();
    expect(existsSync(`${uploads}/${file.storage_name}`)).toBe(true);

    expect((await api("DELETE", `/api/admin/messages/${sent.id}/`, { token: staff.access })).status).toBe(204);
    const event = await watcher.seen((f) => f.type === "message.deleted");
    expect(event.data).toEqual({ id: sent.id, conversation_id: group.id });
    expect(event.seq).toBeGreaterThan(0);
    const history = (await api("GET", `/api/messages/${group.id}/`, { token: bob.access })).body;
    expect(history.map((m: any) => m.id)).toEqual([kept.id, sent.id]);
    expect(history[1]).toMatchObject({ id: sent.id, message: "", file: null, attachment: null, deleted: true });
    expect(history[0].deleted).toBe(false);
    const row = await db.selectFrom("messages").select(["body", "file_id", "deleted_at"]).where("id", "=", sent.id).executeTakeFirstOrThrow();
    expect(row.body).toBe("");
    expect(row.file_id).toBeNull();
    expect(row.deleted_at).not.toBeNull();
    expect(await db.selectFrom("files").selectAll().execute()).toEqual([]);
    expect(readdirSync(uploads)).not.toContain(file.storage_name);
    expect((await api("GET", `/api/messages/files/${sent.id}/`, { token: bob.access })).status).toBe(404);
    expect((await api("DELETE", `/api/admin/messages/${sent.id}/`, { token: staff.access })).status).toBe(204); // again: nothing changes
    expect((await api("DELETE", "/api/admin/messages/999999/", { token: staff.access })).status).toBe(404);
    await watcher.close();
  });

  test("list groups with member counts, searchable by the start of the name", async () => {
    await api("POST", "/api/groups/create/", { token: bob.access, body: { name: "Other", members: [] } });
    const groups = (await api("GET", "/api/admin/groups/", { token: staff.access })).body;
    expect(groups.find((g: any) => g.id === group.id)).toMatchObject({ name: "Admin Watch", member_count: 2, created_by: alice.id });
    expect(groups.find((g: any) => g.name === "Other")).toMatchObject({ member_count: 1 });
    const found = (await api("GET", "/api/admin/groups/?q=admin", { token: staff.access })).body;
    expect(found.map((g: any) => g.id)).toEqual([group.id]);
  });
});
