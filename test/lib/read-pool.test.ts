// Heavy reads run in worker threads with read connections of their own (SQLite), or on the event loop (PostgreSQL,
// PARLEY_READ_WORKERS=0): the same answers either way, every commit seen at once, errors kept, workers ended on close.
import { describe, expect, test } from "bun:test";
import { onPostgres } from "../test-database";
import { makeApp, registerUser } from "../helpers";

describe.each([1, 0])("heavy reads with PARLEY_READ_WORKERS=%d", async (workers) => {
  const { api, parley } = await makeApp({ readWorkers: workers });
  const alice = await registerUser(api, "alice");
  const bob = await registerUser(api, "bob");
  const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: `pooled${workers}`, members: [bob.id] } })).body;
  const send = async (message: string) => (await api("POST", `/api/messages/${group.id}/send/`, { token: alice.access, body: { message } })).body;

  test("run in workers on SQLite only, started on first need", async () => {
    expect(parley.ctx.reads.size).toBe(onPostgres || workers === 0 ? 0 : workers);
    expect(parley.ctx.reads.started).toBe(0);
  });

  test("see every commit at once: a message is in the list, older pages and search as soon as its send answered", async () => {
    for (let i = 0; i < 5; i++) {
      const sent = await send(`pooled kiwifruit ${i}`);
      const list = (await api("GET", "/api/conversations/", { token: bob.access })).body;
      expect(list.find((c: any) => c.id === group.id).last_message.id).toBe(sent.id);
      const older = (await api("GET", `/api/messages/${group.id}/?after=0&limit=100`, { token: bob.access })).body;
      expect(older.map((m: any) => m.id)).toContain(sent.id);
      const found = (await api("GET", "/api/search/?q=kiwifruit&limit=20", { token: bob.access })).body;
      expect(found.results.map((r: any) => r.id)).toContain(sent.id);
    }
    expect(parley.ctx.reads.started).toBe(onPostgres || workers === 0 ? 0 : 1);
  });

  test("answer errors as the event loop would", async () => {
    expect((await api("GET", `/api/messages/${group.id}/?before=1&after=2`, { token: bob.access })).status).toBe(400);
    expect((await api("GET", "/api/search/?q=kiwifruit&before=nonsense", { token: bob.access })).status).toBe(400);
    expect((await api("GET", "/api/admin/users/", { token: bob.access })).status).toBe(403);
  });

  test("end with the app: a read after that is refused (503), not left waiting", async () => {
    if (parley.ctx.reads.size === 0) return;
    await parley.ctx.reads.close();
    expect(parley.ctx.reads.started).toBe(0);
    expect((await api("GET", "/api/search/?q=kiwifruit", { token: bob.access })).status).toBe(503);
  });
});
