// import-django beyond the happy path: usage errors, dry runs that write nothing, what the original allowed
// that Parley reports (missing files, other hashers, clashing names), and a failure that leaves nothing behind.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CompiledQuery } from "kysely";
import { createApp } from "../../src/app";
import { openConfiguredDatabase } from "../../src/db";
import { onPostgres } from "../test-database";
import { importDjango } from "../../src/modules/import/service";
import { ImportError } from "../../src/modules/import/report";
import { listen, makeApp, tempDir, testConfig } from "../helpers";
import { openSocket, wsUrl } from "../ws-helpers";
import { copyFixture, editOriginal, passwordOf, runImport, snapshot } from "./import-helpers";

const oneLine = (text: string) => expect(text).toMatch(/^parley: (import-django: )?[^\n]+\n$/);

/** A data dir with a migrated, empty Parley database (and its secret), as the first start leaves it. */
async function emptyDataDir(): Promise<string> {
  const config = testConfig();
  await (await createApp(config)).close();
  return config.dataDir;
}

/** Runs SQL on the database of a data dir (SQLite's file, or the PostgreSQL database standing for it). */
async function onDatabaseOf<T>(dataDir: string, statement: string): Promise<T[]> {
  const database = openConfiguredDatabase(testConfig({ dataDir }));
  try {
    return (await database.db.executeQuery<T>(CompiledQuery.raw(statement))).rows;
  } finally {
    await database.close();
  }
}

const rowCount = async (dataDir: string, table: string) => (await onDatabaseOf<{ n: number }>(dataDir, `SELECT count(*) AS n FROM ${table}`))[0]!.n;

describe("usage", () => {
  const original = copyFixture();
  const dataDir = join(tempDir(), "never-created");

  test("--help explains the command and exits 0", async () => {
    const help = await runImport("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: parley import-django --db <path to db.sqlite3> --media <path to MEDIA_ROOT> [--dry-run]");
    expect(help.stdout).toContain("Exit codes: 0 imported");
  });

  test("bad usage exits 2 with one line on stderr, and creates nothing", async () => {
    const cases: Array<[string[], string]> = [
      [[], "--db <path> is required"],
      [["--db", original.db], "--media <path> is required"],
      [["--db", "--media", original.media], "unexpected argument"],
      [["--db", join(original.dir, "nope.sqlite3"), "--media", original.media], "no such file"],
      [["--db", original.db, "--media", join(original.dir, "nope")], "no such directory"],
      [["--db", join(original.media, "uploads/report.txt"), "--media", original.media], "cannot read it"],
      [["--db", original.db, "--media", original.media, "--bogus"], "unknown option --bogus"],
      [["--db", original.db, "--media", original.media, "--dry-run=yes"], "--dry-run takes no value"],
    ];
    const results = await Promise.all(cases.map(([args]) => runImport("--data-dir", dataDir, ...args)));
    results.forEach((result, i) => {
      expect(result.code).toBe(2);
      oneLine(result.stderr);
      expect(result.stderr).toContain(cases[i]![1]);
      expect(result.stdout).toBe("");
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  test("a database that is not the original's is refused by name", async () => {
    const parleyDb = join(tempDir(), "other.db");
    new Database(parleyDb).run("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)");
    const result = await runImport("--db", parleyDb, "--media", original.media, "--data-dir", dataDir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `parley: import-django: --db ${parleyDb} is not a database of the original chat server: it has no authentication_customuser table\n`,
    );
  });
});

describe("--dry-run", () => {
  const original = copyFixture();

  test("prints the report and writes nothing: the data dir is not even created", async () => {
    const dataDir = join(tempDir(), "data");
    const before = snapshot(original.dir);
    const result = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir, "--dry-run");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toStartWith(`Dry run of the import from the original: ${original.db}`);
    expect(result.stdout).toContain("Nothing was written.");
    expect(result.stdout).toMatch(/^Messages +10 of 11 imported/m);
    expect(result.stdout).toMatch(/^ +skipped +1 with no receiver at all .*: 11$/m);
    expect(result.stdout).toMatch(/^Files +3 of 3 to copy \(99 bytes\)/m);
    expect(existsSync(dataDir)).toBe(false);
    expect(snapshot(original.dir)).toEqual(before);
  });

  test("on an existing empty data dir it changes no byte there (no -wal or -shm either)", async () => {
    const dataDir = await emptyDataDir();
    const before = snapshot(dataDir);
    const result = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir, "--dry-run");
    expect(result.code).toBe(0);
    expect(snapshot(dataDir)).toEqual(before);
  });
});

describe("what the original allowed, reported", async () => {
  const original = copyFixture();
  rmSync(join(original.media, "uploads/logo.png"));
  editOriginal(
    original,
    // A hasher Parley does not verify (argon2, as Django writes it): carol must be given a new password.
    "UPDATE authentication_customuser SET password = 'argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo' WHERE id = 3",
    // Django's unique name is case-sensitive; Parley's is not.
    "INSERT INTO chat_group (id, name) VALUES (4, 'General')",
    "INSERT INTO chat_group_members (group_id, customuser_id) VALUES (4, 6), (4, 99)",
    // erin posts to general without being a member (the original let anyone post); a microsecond timestamp.
    "INSERT INTO chat_message (id, message, file, timestamp, receiver_group_id, receiver_user_id, sender_id, file_expiry) VALUES (12, 'drive-by', '', '2025-01-02 10:00:00.123456', 1, NULL, 6, '2025-01-12 10:00:00')",
    "INSERT INTO chat_message (id, message, file, timestamp, receiver_group_id, receiver_user_id, sender_id, file_expiry) VALUES (13, 'to both', '', '2025-01-02 10:01:00', 1, 2, 1, '2025-01-12 10:01:00')",
    "INSERT INTO chat_message (id, message, file, timestamp, receiver_group_id, receiver_user_id, sender_id, file_expiry) VALUES (14, 'escape', '../db.sqlite3', '2025-01-02 10:02:00', NULL, 2, 1, '2030-01-01 00:00:00')",
    // Rows the original had deleted: their ids must not come back.
    "UPDATE sqlite_sequence SET seq = 20 WHERE name = 'authentication_customuser'",
    "UPDATE sqlite_sequence SET seq = 10 WHERE name = 'chat_group'",
    "UPDATE sqlite_sequence SET seq = 50 WHERE name = 'chat_message'",
  );
  const dataDir = join(tempDir(), "data");
  const result = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir);
  const { api } = await makeApp({ dataDir });

  test("the report names each case", () => {
    expect(result.code).toBe(0);
    const report = result.stdout;
    expect(report).toMatch(/^ +must reset +carol \(3\): Django's "argon2" hasher is not supported; give them a new password/m);
    expect(report).toMatch(/^ +passwords +5 Django pbkdf2_sha256 hashes kept/m);
    expect(report).toMatch(/^ +renamed +group 4 "General" → "General \(2\)"/m);
    expect(report).toMatch(/^ +skipped +membership of unknown user 99 in group 4$/m);
    expect(report).toMatch(/^ +non-members +1 group message from senders who were not members/m);
    expect(report).toMatch(/^Messages +12 of 14 imported \(6 direct, 6 in groups\), ids kept; 2 skipped$/m);
    expect(report).toMatch(/^ +skipped +1 with both a receiver user and a receiver group: 13$/m);
    expect(report).toMatch(/^ +timestamps +1 had microseconds/m);
    expect(report).toMatch(/^ +missing +message 6: uploads\/logo\.png \(not found\); the message is imported without it$/m);
    expect(report).toMatch(/^ +missing +message 14: \.\.\/db\.sqlite3 \(outside the media directory\)/m);
    expect(report).toMatch(/^Files +2 of 4 copied/m);
    expect(report).toMatch(/^ +11 +alice \(1\) and bob \(2\), 4 messages$/m); // direct ids start above the original's group sequence
    expect(report).toMatch(/^Next ids +above user 20, conversation 13, message 50/m);
  });

  test("a message whose file is missing keeps its text, without a file", async () => {
    const bob = (await api("POST", "/api/login/", { body: { email: "bob@example.com", password: passwordOf("bob") } })).body.access;
    const general = (await api("GET", "/api/messages/1/?limit=100", { token: bob })).body;
    expect(general.find((m: any) => m.id === 6)).toMatchObject({ message: "logo attached", file: null, attachment: null });
    expect(general.find((m: any) => m.id === 12)).toMatchObject({ message: "drive-by", sender: 6, timestamp: "2025-01-02T10:00:00.123Z" });
    expect((await api("GET", "/api/messages/files/6/", { token: bob })).status).toBe(404);
  });

  test("a user with an unsupported hash cannot log in until staff give them a new password", async () => {
    const carol = { email: "carol@example.com", password: passwordOf("carol") };
    expect((await api("POST", "/api/login/", { body: carol })).status).toBe(401);
    const admin = (await api("POST", "/api/login/", { body: { email: "admin@example.com", password: passwordOf("admin") } })).body.access;
    const reset = await api("PATCH", "/api/3/update/", { token: admin, body: { password: "a brand new password" } });
    expect(reset.status).toBe(200);
    expect((await api("POST", "/api/login/", { body: { ...carol, password: "a brand new password" } })).status).toBe(200);
  });

  test("names clash no more, and no id the original handed out is given again", async () => {
    const admin = (await api("POST", "/api/login/", { body: { email: "admin@example.com", password: passwordOf("admin") } })).body.access;
    const groups = (await api("GET", "/api/admin/groups/", { token: admin })).body;
    expect(groups.find((g: any) => g.id === 4)).toMatchObject({ name: "General (2)", member_count: 1 });
    const frank = await api("POST", "/api/register/", { body: { username: "frank", email: "frank@example.com", password: "a long password" } });
    expect(frank.body.user.id).toBe(21);
    const group = await api("POST", "/api/groups/create/", { token: admin, body: { name: "new" } });
    expect(group.body.id).toBe(14);
    const sent = await api("POST", `/api/messages/${group.body.id}/send/`, { token: admin, body: { message: "hello" } });
    expect(sent.body.id).toBe(51);
  });
});

describe("failures", () => {
  test("a failure during the import leaves Parley's database and uploads as they were (exit 1)", async () => {
    const original = copyFixture();
    const dataDir = await emptyDataDir();
    // The database refuses message 10 (a trigger on SQLite, a constraint on PostgreSQL), late in the import.
    await onDatabaseOf(
      dataDir,
      onPostgres
        ? "ALTER TABLE messages ADD CONSTRAINT disk_on_fire CHECK (id <> 10) NOT VALID"
        : "CREATE TRIGGER fail_late BEFORE INSERT ON messages WHEN NEW.id = 10 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    );
    const result = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^parley: import-django: the import failed, nothing was imported: .*disk.on.fire.*\n$/);
    expect(result.stdout).toBe("");
    for (const table of ["users", "conversations", "conversation_members", "messages", "files", "events"]) expect(await rowCount(dataDir, table)).toBe(0);
    expect(readdirSync(join(dataDir, "uploads"))).toEqual([]); // the files copied before the transaction are gone again
  });

  test("users the original told apart only by case stop the import before anything is written (exit 1)", async () => {
    const original = copyFixture();
    editOriginal(original, "UPDATE authentication_customuser SET username = 'ALICE' WHERE id = 6");
    const dataDir = join(tempDir(), "data");
    const result = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir);
    expect(result.code).toBe(1);
    oneLine(result.stderr);
    expect(result.stderr).toContain('users 1 and 6 have usernames that differ only in case ("alice", "ALICE")');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("importDjango(), called in-process on a running server", async () => {
  const original = copyFixture();
  const { server, api } = await listen();
  /** The first import: made once, by whichever test needs it first (each may run alone). */
  let firstImport: ReturnType<typeof importDjango> | undefined;
  const imported = () => (firstImport ??= importDjango(server.parley.ctx, { db: original.db, media: original.media }));

  test("returns the report, and new sockets start at the imported log's end", async () => {
    const report = await imported();
    expect(report.messages.skipped).toEqual({ no_receiver: [11] });
    expect(report.directs.map((d) => [d.id, d.users.map((u) => u.username)])).toEqual([
      [4, ["alice", "bob"]],
      [5, ["alice", "carol"]],
      [6, ["carol", "dave"]],
    ]);
    expect(report.files).toMatchObject({ found: 3, copied: 3, bytes: 99, expired: 1, missing: [] });
    expect(report.events).toBe(22);
    const token = (await api("POST", "/api/login/", { body: { email: "bob@example.com", password: passwordOf("bob") } })).body.access;
    const socket = await openSocket(wsUrl(server.url, "/ws", token));
    expect((await socket.next("hello")).data.seq).toBe(22);
    const sent = await api("POST", "/api/messages/1/send/", { token, body: { message: "live after import" } });
    expect(sent.status).toBe(201);
    const live = await socket.next("message.created");
    expect(live).toMatchObject({ seq: 23, data: { id: 12, message: "live after import" } });
    await socket.close();
  });

  test("a second call is refused: the database is no longer empty", async () => {
    await imported();
    const error = await importDjango(server.parley.ctx, { db: original.db, media: original.media }).catch((e) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect(error.kind).toBe("not_empty");
  });
});
