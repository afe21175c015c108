// End to end: the real `parley import-django` on a copy of a real database of the original, then Parley serving
// it. Users log in with their old passwords, see the same conversations, texts, timestamps and files.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkedFetch, listen, queryRows, tempDir } from "../helpers";
import { onPostgres } from "../test-database";
import { openSocket, wsUrl } from "../ws-helpers";
import { copyFixture, originalRows, passwordOf, runImport, sha256, snapshot } from "./import-helpers";

interface OriginalMessage {
  id: number;
  message: string;
  file: string;
  timestamp: string;
  receiver_user_id: number | null;
  receiver_group_id: number | null;
  sender_id: number;
}

interface OriginalUser {
  id: number;
  password: string;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  is_active: number;
  is_staff: number;
  is_superuser: number;
  date_joined: string;
}

/** Django's stored UTC text as the API's ISO time (Parley keeps milliseconds). */
const iso = (django: string) => new Date(`${django.replace(" ", "T")}Z`).toISOString();

describe("parley import-django, then serve", async () => {
  const original = copyFixture();
  const originalDbHash = sha256(original.db);
  const originalFiles = snapshot(original.dir);
  const dataDir = join(tempDir(), "data");
  const imported = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir);
  const { server, api } = await listen({ dataDir });
  const users = originalRows<OriginalUser>(original, "SELECT * FROM authentication_customuser ORDER BY id");
  const messages = originalRows<OriginalMessage>(original, "SELECT * FROM chat_message ORDER BY id");
  const tokens = new Map<string, string>();

  const login = (username: string, password = passwordOf(username)) => api("POST", "/api/login/", { body: { email: `${username}@example.com`, password } });
  const tokenOf = async (username: string) => {
    if (!tokens.has(username)) {
      const response = await login(username);
      expect(response.status).toBe(200);
      tokens.set(username, response.body.access);
    }
    return tokens.get(username)!;
  };
  const hashOf = async (id: number) =>
    (await queryRows<{ password_hash: string }>(server.parley, "SELECT password_hash FROM users WHERE id = ?", [id]))[0]!.password_hash;
  const count = async (table: string) => (await queryRows<{ n: number }>(server.parley, `SELECT count(*) AS n FROM ${table}`))[0]!.n;

  test("the import succeeds, silently on stderr", () => {
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
  });

  test("the report counts what was imported and skipped, with reasons", () => {
    const report = imported.stdout;
    expect(report).toMatch(/^Users +6 imported \(1 inactive, 1 staff, 1 superuser\), ids kept$/m);
    expect(report).toMatch(/passwords +6 Django pbkdf2_sha256 hashes kept \(5 × 260000 iterations, 1 × 600000 iterations\)/);
    expect(report).toMatch(/^ +must reset +nobody$/m);
    expect(report).toMatch(/^Groups +3 imported as group conversations, ids kept$/m);
    expect(report).toMatch(/^ +owner +general \(1\): alice \(1\), its first member, of 3 members$/m);
    expect(report).toMatch(/^ +no members +empty \(3\)/m);
    expect(report).toMatch(/^Messages +10 of 11 imported \(5 direct, 5 in groups\), ids kept; 1 skipped$/m);
    expect(report).toMatch(/^ +skipped +1 with no receiver at all .*: 11$/m);
    expect(report).toMatch(/^Files +3 of 3 copied \(99 bytes\) with SHA-256 and size; 1 already expired/m);
    expect(report).toMatch(/^Next ids +above user 6, conversation 6, message 11/m);
  });

  test("the original's database and media are unchanged (only read)", () => {
    expect(sha256(original.db)).toBe(originalDbHash);
    expect(snapshot(original.dir)).toEqual(originalFiles); // no journal, -wal or -shm left beside it either
  });

  test("the Django hash is replaced with argon2id at the first login, and the password still works", async () => {
    expect(await hashOf(1)).toBe(users[0]!.password);
    expect((await login("alice")).status).toBe(200);
    expect(await hashOf(1)).toStartWith("$argon2id$");
    expect(await hashOf(2)).toBe(users[1]!.password); // bob has not logged in yet
    const again = await login("alice");
    expect(again.status).toBe(200);
    expect((await api("GET", "/api/users/protected/", { token: again.body.access })).body.email).toBe("alice@example.com");
    expect((await login("alice", "Passw0rd-bob")).status).toBe(401);
  });

  test("users log in with their old passwords, whatever the iteration count", async () => {
    for (const username of ["alice", "bob", "carol", "admin", "erin"]) {
      const response = await login(username);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ email: `${username}@example.com`, id: users.find((u) => u.username === username)!.id });
    }
    expect(users.find((u) => u.username === "erin")!.id).toBe(6);
    expect((await login("bob", "Passw0rd-alice")).status).toBe(401);
    expect((await login("erin", "Passw0rd-erin ")).status).toBe(401);
    expect(await hashOf(6)).toStartWith("$argon2id$");
    expect(await hashOf(4)).toBe(users[3]!.password); // dave cannot log in: his hash stays as it was
  });

  test("the inactive user is refused, with the same answer as a wrong password", async () => {
    const response = await login("dave");
    expect(response.status).toBe(401);
    expect(response.body.detail).toBe("Invalid email or password");
  });

  test("every user keeps id, username, email, names, flags and date_joined; staff are still staff", async () => {
    const listed = await api("GET", "/api/admin/users/?limit=100", { token: await tokenOf("admin") });
    expect(listed.status).toBe(200);
    const byId = new Map(listed.body.map((u: any) => [u.id, u]));
    for (const u of users) {
      expect(byId.get(u.id)).toEqual({
        id: u.id,
        username: u.username,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        is_active: !!u.is_active,
        is_staff: !!u.is_staff,
        is_superuser: !!u.is_superuser,
        is_bot: false,
        date_joined: iso(u.date_joined.slice(0, 23)),
      });
    }
    expect((await api("GET", "/api/admin/users/", { token: await tokenOf("alice") })).status).toBe(403);
  });

  test("each user sees the same conversations: the groups they were in, one direct conversation per pair", async () => {
    const seen = async (username: string) => {
      const response = await api("GET", "/api/conversations/", { token: await tokenOf(username) });
      return response.body.map((c: any) => `${c.kind}:${c.kind === "group" ? `${c.id}:${c.name}` : c.members.map((m: any) => m.username).join()}`).sort();
    };
    expect(await seen("alice")).toEqual(["direct:bob", "direct:carol", "group:1:general", "group:2:devs"]);
    expect(await seen("bob")).toEqual(["direct:alice", "group:1:general", "group:2:devs"]);
    expect(await seen("carol")).toEqual(["direct:alice", "direct:dave", "group:1:general"]);
    expect(await seen("erin")).toEqual(["group:2:devs"]);
    const groups = await api("GET", "/api/admin/groups/", { token: await tokenOf("admin") });
    expect(groups.body.map((g: any) => [g.id, g.name, g.member_count]).sort()).toEqual([
      [1, "general", 3],
      [2, "devs", 3],
      [3, "empty", 0],
    ]);
    const roles = await queryRows(
      server.parley,
      "SELECT conversation_id, user_id, role FROM conversation_members WHERE role = 'owner' ORDER BY conversation_id",
    );
    expect(roles).toEqual([
      { conversation_id: 1, user_id: 1, role: "owner" },
      { conversation_id: 2, user_id: 1, role: "owner" },
    ]);
  });

  test("the same messages, byte for byte, with their senders and timestamps, in order; both directions in one conversation", async () => {
    const token = await tokenOf("alice");
    const conversations = (await api("GET", "/api/conversations/", { token })).body;
    const withBob = conversations.find((c: any) => c.kind === "direct" && c.members[0].username === "bob").id;
    const history = async (id: number) => (await api("GET", `/api/messages/${id}/?limit=100`, { token })).body.reverse();
    const expected = (pick: (m: OriginalMessage) => boolean) =>
      messages.filter(pick).map((m) => ({ id: m.id, sender: m.sender_id, message: m.message, timestamp: iso(m.timestamp) }));
    const shape = (list: any[]) => list.map((m) => ({ id: m.id, sender: m.sender, message: m.message, timestamp: m.timestamp }));

    const direct = await history(withBob);
    expect(shape(direct)).toEqual(expected((m) => (m.sender_id === 1 && m.receiver_user_id === 2) || (m.sender_id === 2 && m.receiver_user_id === 1)));
    expect(direct.map((m: any) => [m.sender, m.receiver_user])).toEqual([
      [1, 2],
      [2, 1],
      [1, 2],
    ]);
    expect(shape(await history(1))).toEqual(expected((m) => m.receiver_group_id === 1));
    expect(shape(await history(2))).toEqual(expected((m) => m.receiver_group_id === 2));
    const general = await history(1);
    expect(general[1].message).toBe("Hello everyone 👋 — ünïcødé and 中文");
    expect(Buffer.from(general[1].message).toString("hex")).toBe(Buffer.from(messages[4]!.message).toString("hex"));
    const withCarol = conversations.find((c: any) => c.kind === "direct" && c.members[0].username === "carol").id;
    expect((await history(withCarol)).map((m: any) => m.message)).toEqual(["'; DROP TABLE chat_message; --"]);
  });

  test("the message with no receiver is not imported (it was counted in the report)", async () => {
    expect(await count("messages")).toBe(10);
    expect((await queryRows(server.parley, "SELECT id FROM messages WHERE id = 11"))[0] ?? null).toBeNull();
  });

  test("a file downloads byte for byte, with its name, size and SHA-256; the expired one answers 410", async () => {
    const token = await tokenOf("bob");
    for (const [messageId, path, type] of [
      [3, "uploads/report.txt", "text/plain"],
      [6, "uploads/logo.png", "image/png"],
    ] as const) {
      const info = await api("GET", `/api/messages/files/${messageId}/`, { token });
      expect(info.status).toBe(200);
      const bytes = readFileSync(join(original.media, path));
      expect(info.body).toMatchObject({ name: path.split("/")[1], size: bytes.length, content_type: type, expires_at: "2030-01-01T00:00:00.000Z" });
      const download = await checkedFetch(server.url + info.body.file_url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
      expect(download.headers.get("etag")).toBe(`"${sha256(join(original.media, path))}"`);
    }
    const expired = await api("GET", "/api/messages/files/7/", { token });
    expect(expired.status).toBe(410);
    expect(expired.body.error).toBe("File has expired.");
    const [old] = (await api("GET", "/api/messages/2/?limit=100", { token })).body.filter((m: any) => m.id === 7);
    expect(old).toMatchObject({
      message: "old attachment",
      file: null,
      attachment: { name: "old.txt", size: 14, expired: true, expires_at: "2024-12-31T09:13:00.000Z" },
    });
    const fileRow = ((await queryRows(server.parley, "SELECT expires_at FROM files ORDER BY expires_at LIMIT 1"))[0] ?? null) as { expires_at: number };
    expect(fileRow.expires_at).toBe(Date.parse("2024-12-31T09:13:00Z"));
  });

  test("a client resuming from seq 0 replays the imported history in order", async () => {
    const socket = await openSocket(wsUrl(server.url, "/ws", await tokenOf("alice"), { since: "0" }));
    await socket.next("hello");
    await socket.seen((f) => f.type === "message.created" && f.data.id === 9);
    const replayed = socket.frames.filter((f) => f.type === "message.created");
    expect(replayed.map((f) => f.data.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(replayed.map((f) => f.data.message)).toEqual(messages.slice(0, 9).map((m) => m.message));
    const logged = await queryRows(server.parley, "SELECT message_id FROM events WHERE type = 'message.created' ORDER BY seq LIMIT 10");
    expect(logged).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((message_id) => ({ message_id }))); // so deleting one scrubs the log too
    const seqs = socket.frames.filter((f) => f.seq !== undefined).map((f) => f.seq!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(socket.frames.filter((f) => f.type === "member.joined").length).toBeGreaterThanOrEqual(4);
    await socket.close();
  });

  test("rows made after the import get fresh ids, above every id the original handed out", async () => {
    const reg = await api("POST", "/api/register/", {
      body: { username: "frank", email: "frank@example.com", password: "a long password", first_name: "F", last_name: "T" },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user.id).toBe(7);
    const token = await tokenOf("alice");
    const group = await api("POST", "/api/groups/create/", { token, body: { name: "after", members: [7] } });
    expect(group.status).toBe(201);
    expect(group.body.id).toBe(7);
    const direct = await api("POST", "/api/conversations/direct/", { token, body: { user_id: 7 } });
    expect(direct.status).toBe(201);
    expect(direct.body.id).toBe(8);
    const sent = await api("POST", `/api/messages/${group.body.id}/send/`, { token, body: { message: "first new message" } });
    expect(sent.status).toBe(201);
    expect(sent.body.id).toBe(12); // 11 was the skipped message: not reused
    const upload = new FormData();
    upload.set("message", "a new file");
    upload.set("file", new File(["new bytes"], "new.txt", { type: "text/plain" }));
    const withFile = await api("POST", `/api/messages/${group.body.id}/send/`, { token, body: upload });
    expect(withFile.status).toBe(201);
    expect(withFile.body.id).toBe(13);
  });

  test("the imported history arrives read (the original had no read state); new messages count as unread", async () => {
    const imported = new Set([1, 2, 3, 4, 5, 6]);
    const unread = async (username: string) =>
      Object.fromEntries(
        (await api("GET", "/api/conversations/", { token: await tokenOf(username) })).body
          .filter((c: any) => imported.has(c.id))
          .map((c: any) => [c.id, c.unread_count]),
      );
    expect(await unread("alice")).toEqual({ 1: 0, 2: 0, 4: 0, 5: 0 });
    expect(await unread("carol")).toEqual({ 1: 0, 5: 0, 6: 0 });
    expect((await api("POST", "/api/messages/2/send/", { token: await tokenOf("erin"), body: { message: "back from holiday" } })).status).toBe(201);
    expect((await unread("alice"))[2]).toBe(1);
  });

  test("a second import is refused with exit 2 and changes nothing", async () => {
    const before = {
      users: await count("users"),
      conversations: await count("conversations"),
      messages: await count("messages"),
      events: await count("events"),
      files: await count("files"),
    };
    const uploads = readdirSync(join(dataDir, "uploads"));
    const again = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe("");
    expect(again.stderr).toBe(
      onPostgres
        ? "parley: import-django: the PostgreSQL database at PARLEY_DATABASE_URL already has users; import only into an empty database (create a new one)\n"
        : `parley: import-django: the Parley database in ${dataDir} already has users; import only into an empty data dir (use a new --data-dir)\n`,
    );
    expect({
      users: await count("users"),
      conversations: await count("conversations"),
      messages: await count("messages"),
      events: await count("events"),
      files: await count("files"),
    }).toEqual(before);
    // Nothing new in uploads (the sweeper may meanwhile have removed the expired file's bytes).
    expect(readdirSync(join(dataDir, "uploads")).filter((name) => !uploads.includes(name))).toEqual([]);
    expect(sha256(original.db)).toBe(originalDbHash);
  });
});
