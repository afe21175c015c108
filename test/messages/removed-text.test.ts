// What a delete (message, account, admin, retention) or an edit removes, no API gives back afterwards — not a /ws
// replay from seq 0 (to a member or to someone who joins later), not the original's socket, the history, search or
// a file URL — and no byte of it is left in parley.db, its write-ahead log (once the checkpoint the removal
// scheduled has run) or the uploads dir.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { databasePath } from "../../src/db";
import { walTruncated } from "../../src/db/wal";
import { sweepRetention } from "../../src/modules/messages/retention";
import { listen, queryRows, registerUser, type TestUser } from "../helpers";
import { onPostgres } from "../test-database";
import { openSocket, wsUrl, type Frame } from "../ws-helpers";
import { createGroup, makeStaff, registerUsers, sendText, upload, uploadsDir } from "../chat-helpers";
import { socketOf } from "./feature-helpers";

// PARLEY_FILE_TTL=0: uploads are kept forever, so only the deletion itself can remove an account's files.
const { server, api } = await listen({ fileTtlMs: 0 });
const parley = server.parley;
const [alice, bob, staff] = await registerUsers(api, ["alice", "bob", "staff"]);
await makeStaff(parley, staff.id);

/** A word found nowhere else: lower case and one token, so the search index holds it as it is written. */
const markerFor = (name: string) => `gone${name}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

/** A short message and a long one (its text spills into overflow pages) carrying the marker. */
async function sendMarked(sender: TestUser, groupId: number, marker: string): Promise<number[]> {
  const short = await sendText(api, sender, groupId, `the password is ${marker}`);
  const long = await sendText(api, sender, groupId, `${"filler ".repeat(1000)}${marker} ${"padding ".repeat(200)}`);
  return [short.id, long.id];
}

const searchFor = async (user: TestUser, marker: string) => {
  const response = await api("GET", `/api/search/?q=${marker}`, { token: user.access });
  expect(response.status).toBe(200);
  return response.body.results as { id: number }[];
};

/** Whether the marker's bytes are anywhere in the database file or its write-ahead log (SQLite). */
function onDisk(marker: string): boolean {
  const files = [databasePath(parley.ctx.config.dataDir), `${databasePath(parley.ctx.config.dataDir)}-wal`].filter(existsSync);
  return files.some((file) => readFileSync(file).includes(marker));
}

const uploadsHold = (marker: string) => readdirSync(uploadsDir(parley)).some((name) => readFileSync(join(uploadsDir(parley), name)).includes(marker));

/** Everything a /ws socket resuming from seq 0 is sent before its answer to a ping. */
async function replayFromZero(user: TestUser): Promise<Frame[]> {
  const socket = await socketOf(server, user, 0);
  socket.send({ type: "ping", ref: "replayed" });
  await socket.next((f) => f.type === "pong");
  await socket.close();
  return socket.frames;
}

/** What the marker is in before the removal: the log's replay, the history, search, and (SQLite) the disk. */
async function expectPresent(member: TestUser, groupId: number, marker: string) {
  expect(JSON.stringify(await replayFromZero(member))).toContain(marker);
  expect(
    (await api("GET", `/api/messages/${groupId}/?limit=100`, { token: member.access })).body.some((m: { message: string }) => m.message.includes(marker)),
  ).toBe(true);
  expect((await searchFor(member, marker)).length).toBeGreaterThan(0);
  if (!onPostgres) expect(onDisk(marker)).toBe(true);
}

/**
 * No trace of the markers: in a since=0 replay of a member and of a user who joins the group now, on the original's
 * socket, in the history and search, and (SQLite) in parley.db, parley.db-wal and the uploads dir. `replayed`: ids
 * whose message.created the replay must still carry (so the replay is a real one, not an empty answer).
 */
async function expectGone(member: TestUser, groupId: number, markers: string[], replayed: number[] = []) {
  const joiner = await registerUser(api, "joiner");
  expect((await api("POST", `/api/groups/${groupId}/join/`, { token: joiner.access })).status).toBeLessThan(300);
  for (const reader of [member, joiner]) {
    const frames = await replayFromZero(reader);
    expect(frames.some((f) => f.type === "resync")).toBe(false);
    for (const id of replayed) expect(frames.some((f) => f.type === "message.created" && f.data?.id === id)).toBe(true);
    for (const marker of markers) expect(JSON.stringify(frames)).not.toContain(marker);
  }

  const legacy = await openSocket(wsUrl(server.url, `/ws/chat/${groupId}/`, member.access));
  const after = `after-${crypto.randomUUID()}`;
  await sendText(api, alice, groupId, after);
  await legacy.next((f) => f.message === after);
  await legacy.close();
  for (const marker of markers) expect(JSON.stringify(legacy.frames)).not.toContain(marker);

  const history = await api("GET", `/api/messages/${groupId}/?limit=100`, { token: member.access });
  expect(history.status).toBe(200);
  await walTruncated(parley.ctx); // the checkpoint the removal scheduled (it does not start one of its own)
  for (const marker of markers) {
    expect(JSON.stringify(history.body)).not.toContain(marker);
    expect(await searchFor(member, marker)).toEqual([]);
    if (onPostgres) continue;
    expect(onDisk(marker)).toBe(false);
    expect(uploadsHold(marker)).toBe(false);
  }
}

describe("removed text is gone from every API, the event log and the disk", () => {
  test("a message deleted by its sender", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const marker = markerFor("deleted");
    const ids = await sendMarked(bob, group.id, marker);
    await expectPresent(alice, group.id, marker);
    for (const id of ids) expect((await api("DELETE", `/api/messages/${group.id}/${id}/`, { token: bob.access })).status).toBe(204);
    await expectGone(alice, group.id, [marker], ids);
  });

  test("a message deleted by staff through the admin API", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const marker = markerFor("admin");
    const ids = await sendMarked(bob, group.id, marker);
    await expectPresent(alice, group.id, marker);
    for (const id of ids) expect((await api("DELETE", `/api/admin/messages/${id}/`, { token: staff.access })).status).toBe(204);
    await expectGone(alice, group.id, [marker], ids);
  });

  test("an edited message: the text edited out, twice over, is gone; the replay carries the current text", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const first = markerFor("edited");
    const second = markerFor("reedited");
    const ids = await sendMarked(bob, group.id, first);
    await expectPresent(alice, group.id, first);
    for (const id of ids)
      expect((await api("PATCH", `/api/messages/${group.id}/${id}/`, { token: bob.access, body: { message: `now ${second}` } })).status).toBe(200);
    await expectPresent(alice, group.id, second);
    const current = `nothing to see ${crypto.randomUUID()}`;
    for (const id of ids) expect((await api("PATCH", `/api/messages/${group.id}/${id}/`, { token: bob.access, body: { message: current } })).status).toBe(200);
    await expectGone(alice, group.id, [first, second], ids);
    const replay = await replayFromZero(alice);
    for (const id of ids) {
      const created = replay.find((f) => f.type === "message.created" && f.data.id === id)!;
      expect(created.data).toMatchObject({ message: current, deleted: false });
      expect(created.data.edited_at).toBeString();
    }
    expect(replay.filter((f) => f.type === "message.updated" && ids.includes(f.data.id)).map((f) => f.data.message)).toEqual([current, current]);
  });

  for (const by of ["its owner", "staff"] as const) {
    test(`an account deleted by ${by}: its messages and its files (rows and bytes, with PARLEY_FILE_TTL=0) are gone`, async () => {
      const leaving = await registerUser(api, "leaving");
      const group = await createGroup(api, alice, [bob.id, leaving.id]);
      const marker = markerFor("account");
      await sendMarked(leaving, group.id, marker);
      const fileMarker = markerFor("filebytes");
      const uploaded = await upload(api, leaving, group.id, `secret contents ${fileMarker}`, `${fileMarker}.txt`, "text/plain", {
        message: `attached ${marker}`,
      });
      expect(uploaded.status).toBe(201);
      const fileUrl: string = uploaded.body.file;
      expect((await api("GET", fileUrl)).status).toBe(200);
      const files = await queryRows<{ id: number; storage_name: string }>(parley, "SELECT id, storage_name FROM files WHERE uploader_id = ?", [leaving.id]);
      expect(files.length).toBe(1);
      expect(uploadsHold(fileMarker)).toBe(true);
      await expectPresent(bob, group.id, marker);

      const deleter = by === "staff" ? staff : leaving;
      expect((await api("DELETE", `/api/${leaving.id}/delete/`, { token: deleter.access })).status).toBe(204);

      await expectGone(bob, group.id, [marker, fileMarker]);
      expect(await queryRows(parley, "SELECT id FROM files WHERE id = ?", [files[0]!.id])).toEqual([]);
      expect(existsSync(join(uploadsDir(parley), files[0]!.storage_name))).toBe(false);
      expect([404, 410]).toContain((await api("GET", fileUrl)).status);
    });
  }

  test("messages past their group's retention", async () => {
    const group = await createGroup(api, alice, [bob.id]);
    const marker = markerFor("expired");
    const ids = await sendMarked(bob, group.id, marker);
    const kept = await sendText(api, bob, group.id, "young enough to stay");
    await expectPresent(alice, group.id, marker);
    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { retention_days: 1 } })).status).toBe(200);
    await queryRows(parley, `UPDATE messages SET created_at = created_at - ${3 * 86_400_000} WHERE id IN (?, ?)`, ids);
    expect((await sweepRetention(parley.ctx)).messagesDeleted).toBe(2);
    await expectGone(alice, group.id, [marker], [kept.id]);
  });
});
