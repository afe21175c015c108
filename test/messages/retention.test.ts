// Retention: messages older than the server's or the group's setting go with their files and their events; a
// parent with live replies stays as a tombstone; upload files that no row points at are removed.
import { describe, expect, test } from "bun:test";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sweepRetention } from "../../src/modules/messages/retention";
import { listen, queryRows } from "../helpers";
import { openSocket, wsUrl } from "../ws-helpers";
import { createGroup, makeStaff, randomBytes, registerUsers, send, sendText, upload, uploadedFiles, uploadsDir } from "../chat-helpers";

const DAY = 86_400_000;

describe("retention", () => {
  test("a group's retention_days: old messages, their files and events go; a parent with replies stays a tombstone", async () => {
    const { server, api } = await listen();
    const { parley } = { parley: server.parley };
    const [owner, member] = await registerUsers(api, ["keeper", "talker"] as const);
    const group = await createGroup(api, owner, [member.id]);

    const plain = await sendText(api, owner, group.id, "old and alone");
    const withFile = (await upload(api, member, group.id, randomBytes(2048), "old.bin", "application/octet-stream", { message: "old with a file" })).body;
    const parent = await sendText(api, member, group.id, "old parent");
    const age = (id: number, days: number) => queryRows(parley, "UPDATE messages SET created_at = ? WHERE id = ?", [Date.now() - days * DAY, id]);
    for (const id of [plain.id, withFile.id, parent.id]) await age(id, 3);
    await queryRows(parley, "UPDATE events SET created_at = ? WHERE message_id IN (?, ?, ?)", [Date.now() - 3 * DAY, plain.id, withFile.id, parent.id]);
    const reply = (await send(api, owner, group.id, { message: "a fresh reply", reply_to: parent.id })).body;
    const fresh = await sendText(api, owner, group.id, "fresh");
    expect(uploadedFiles(parley)).toHaveLength(1);

    // Nothing happens while the group keeps everything (and the server does too).
    expect(await sweepRetention(parley.ctx)).toEqual({ messagesDeleted: 0, messagesTombstoned: 0, eventsDeleted: 0, orphanFilesRemoved: 0 });

    // Only owners and admins set it; bad values are refused.
    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: member.access, body: { retention_days: 1 } })).status).toBe(403);
    for (const bad of [0, -1, 1.5, "soon", 40_000]) {
      const refused = await api("PATCH", `/api/groups/${group.id}/`, { token: owner.access, body: { retention_days: bad } });
      expect(refused.status).toBe(400);
      expect(refused.body.retention_days?.[0] ?? refused.body.detail).toBeString();
    }
    const patched = await api("PATCH", `/api/groups/${group.id}/`, { token: owner.access, body: { retention_days: 1 } });
    expect(patched.status).toBe(200);
    expect(patched.body.retention_days).toBe(1);

    const socket = await openSocket(wsUrl(server.url, "/ws", member.access));
    const report = await sweepRetention(parley.ctx);
    expect(report).toMatchObject({ messagesDeleted: 2, messagesTombstoned: 1 });
    expect(report.eventsDeleted).toBeGreaterThanOrEqual(1);
    const expired = await socket.next("messages.expired");
    expect(expired.data).toEqual({ conversation_id: group.id, up_to_id: parent.id });
    socket.close();

    const rows = await queryRows(parley, "SELECT id, body, deleted_at, file_id FROM messages WHERE conversation_id = ? ORDER BY id", [group.id]);
    expect(rows.map((r) => r.id)).toEqual([parent.id, reply.id, fresh.id]);
    expect(rows[0]).toMatchObject({ body: "", file_id: null });
    expect(rows[0].deleted_at).toBeNumber();
    expect(await queryRows(parley, "SELECT count(*) AS n FROM files")).toEqual([{ n: 0 }]);
    expect(uploadedFiles(parley)).toEqual([]);
    const logged = (await queryRows<{ data: string }>(parley, "SELECT data FROM events")).map((e) => e.data).join("\n");
    for (const gone of ["old and alone", "old with a file", "old parent", "old.bin"]) expect(logged).not.toContain(gone);

    // A sweep with nothing new to expire announces nothing (the kept tombstone is not news again).
    const [{ n: eventsBefore }] = await queryRows(parley, "SELECT count(*) AS n FROM events WHERE type = 'messages.expired'");
    expect(await sweepRetention(parley.ctx)).toMatchObject({ messagesDeleted: 0, messagesTombstoned: 0 });
    expect(await queryRows(parley, "SELECT count(*) AS n FROM events WHERE type = 'messages.expired'")).toEqual([{ n: eventsBefore }]);

    // The history shows the tombstone in its place, with its reply.
    const history = await api("GET", `/api/messages/${group.id}/`, { token: member.access });
    expect(history.body.map((m: any) => [m.id, m.message, m.deleted])).toEqual([
      [fresh.id, "fresh", false],
      [reply.id, "a fresh reply", false],
      [parent.id, "", true],
    ]);
    expect(history.body[2].reply_count).toBe(1);

    // When the reply expires too, the tombstone goes with it.
    await age(reply.id, 2);
    expect(await sweepRetention(parley.ctx)).toMatchObject({ messagesDeleted: 2 });
    expect((await queryRows(parley, "SELECT id FROM messages WHERE conversation_id = ?", [group.id])).map((r) => r.id)).toEqual([fresh.id]);
  });

  test("the server's PARLEY_MESSAGE_RETENTION applies to every conversation, and a group may only shorten it", async () => {
    const { server, api } = await listen({ messageRetentionMs: 10 * DAY });
    const { parley } = server;
    const [a, b] = await registerUsers(api, ["server-a", "server-b"] as const);
    const group = await createGroup(api, a, [b.id]);
    const direct = (await api("POST", "/api/conversations/direct/", { token: a.access, body: { user_id: b.id } })).body.id;
    const ids = [
      (await sendText(api, a, direct, "eleven days old")).id,
      (await sendText(api, a, direct, "five days old")).id,
      (await sendText(api, a, group.id, "five days old in the group")).id,
      (await sendText(api, a, group.id, "thirty days old in the group")).id,
    ];
    const days = [11, 5, 5, 30];
    for (const [i, id] of ids.entries()) await queryRows(parley, "UPDATE messages SET created_at = ? WHERE id = ?", [Date.now() - days[i]! * DAY, id]);
    // A group asking for longer than the server keeps is still held to the server's limit.
    await makeStaff(parley, a.id);
    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: a.access, body: { retention_days: 20 } })).status).toBe(200);
    await queryRows(parley, "UPDATE messages SET created_at = ? WHERE id = ?", [Date.now() - 30 * DAY, ids[3]!]);
    const report = await sweepRetention(parley.ctx);
    expect(report.messagesDeleted).toBe(2);
    const left = (await queryRows(parley, "SELECT body FROM messages ORDER BY id")).map((r) => r.body);
    expect(left).toEqual(["five days old", "five days old in the group"]);
    // A shorter group setting wins over the server's.
    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: a.access, body: { retention_days: 3 } })).status).toBe(200);
    expect((await sweepRetention(parley.ctx)).messagesDeleted).toBe(1);
    expect((await queryRows(parley, "SELECT body FROM messages ORDER BY id")).map((r) => r.body)).toEqual(["five days old"]);
  });

  test("upload files that no row points at are removed after an hour, and only those", async () => {
    const { server } = await listen();
    const { parley } = server;
    const orphan = join(uploadsDir(parley), "0190-orphan");
    const young = join(uploadsDir(parley), "0190-young");
    writeFileSync(orphan, "left behind by a crash");
    writeFileSync(young, "a send in progress");
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(orphan, twoHoursAgo, twoHoursAgo);
    expect((await sweepRetention(parley.ctx)).orphanFilesRemoved).toBe(1);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(young)).toBe(true);
  });
});
