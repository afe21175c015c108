// The unread count the triggers keep (migrations/0016_unread_counts.ts: live messages, less those read, less one's own
// after the marker) equals a fresh count after the changes the API model test (unread-model.test.ts) does not make: an
// account deleted with its messages, the retention sweep, rows written without the send path, a marker moved by SQL.
import { describe, expect, test } from "bun:test";
import { sweepRetention } from "../../src/modules/messages/retention";
import { makeApp, queryRows, registerUser } from "../helpers";

describe("the stored unread count", async () => {
  const { api, parley } = await makeApp();
  const [alice, bob, carol] = [await registerUser(api, "alice"), await registerUser(api, "bob"), await registerUser(api, "carol")];
  const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "counted", members: [bob.id, carol.id] } })).body;
  const send = async (token: string, message: string) =>
    (await api("POST", `/api/messages/${group.id}/send/`, { token, body: { message } })).body as { id: number };
  const unreadOf = async (token: string) =>
    ((await api("GET", "/api/conversations/", { token })).body as any[]).find((c) => c.id === group.id).unread_count as number;

  /** Every membership's stored count against the count the list used to make. */
  const expectExact = async () => {
    const rows = await queryRows(
      parley,
      `SELECT cm.user_id, c.live_messages - cm.read_live - cm.own_after_read AS stored, (SELECT count(*) FROM messages m WHERE m.conversation_id = cm.conversation_id
         AND m.id > coalesce(cm.last_read_message_id, 0) AND m.sender_id <> cm.user_id AND m.deleted_at IS NULL) AS fresh
       FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect({ user: row.user_id, count: Number(row.stored) }).toEqual({ user: row.user_id, count: Number(row.fresh) });
  };

  test("follows sends, deletions and read markers", async () => {
    for (const i of [1, 2, 3]) await send(alice.access, `from alice ${i}`);
    const last = await send(carol.access, "from carol");
    expect(await unreadOf(bob.access)).toBe(4);
    expect(await unreadOf(alice.access)).toBe(1);
    expect((await api("DELETE", `/api/messages/${group.id}/${last.id}/`, { token: carol.access })).status).toBe(204);
    expect(await unreadOf(alice.access)).toBe(0);
    await expectExact();
  });

  test("follows an account deleted with its messages", async () => {
    await send(carol.access, "carol again");
    await send(carol.access, "and again");
    expect(await unreadOf(bob.access)).toBe(5);
    expect((await api("DELETE", `/api/${carol.id}/delete/`, { token: carol.access })).status).toBe(204);
    expect(await unreadOf(bob.access)).toBe(3);
    await expectExact();
  });

  test("follows the retention sweep", async () => {
    const old = await send(alice.access, "old news");
    await queryRows(parley, "UPDATE messages SET created_at = ? WHERE conversation_id = ? AND id <= ?", [Date.now() - 3 * 86_400_000, group.id, old.id]);
    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { retention_days: 1 } })).status).toBe(200);
    await sweepRetention(parley.ctx);
    parley.ctx.conversationLists.clear();
    expect(await unreadOf(bob.access)).toBe(0);
    await expectExact();
  });

  test("follows rows written without the send path, and a marker moved by hand", async () => {
    const sent = await send(alice.access, "through the API");
    await queryRows(parley, "INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES (?, ?, 'imported', ?)", [
      group.id,
      alice.id,
      Date.now(),
    ]);
    await queryRows(parley, "DELETE FROM messages WHERE id = ?", [sent.id]);
    await expectExact();
    await queryRows(parley, "UPDATE conversation_members SET last_read_message_id = NULL WHERE user_id = ?", [bob.id]);
    await expectExact();
    await queryRows(parley, "DELETE FROM conversation_members WHERE user_id = ?", [bob.id]);
    await queryRows(parley, "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)", [
      group.id,
      bob.id,
      Date.now(),
    ]);
    await expectExact();
  });
});
