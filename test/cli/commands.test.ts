// The command line's chores, by spawning the real entry with a temp data dir (test/process-helpers.ts: the compiled
// binary when PARLEY_BIN names one; CI runs this file again against dist/parley).
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { directWith, sendText } from "../chat-helpers";
import { httpClient, listen, queryRows, registerUser, tempDir } from "../helpers";
import { parse, run as parley, serve, stop, type Run } from "../process-helpers";
import { onPostgres } from "../test-database";

/** Exit 2 and exactly one readable line on stderr. */
function expectUsageError(run: Run, pattern: RegExp) {
  expect(run.code).toBe(2);
  expect(run.stderr.trimEnd().split("\n").at(-1)).toMatch(pattern);
  expect(run.stdout).toBe("");
}

describe("createsuperuser", () => {
  test("non-interactive: the account logs in and is staff", async () => {
    const dataDir = tempDir();
    const created = await parley(["createsuperuser", "--username", "root", "--email", "root@example.com", "--password-stdin", "--data-dir", dataDir], {
      stdin: "correct horse battery\n",
    });
    expect(created).toMatchObject({ code: 0, stdout: 'superuser "root" created (id 1)\n' });

    const { server, api } = await listen({ dataDir });
    try {
      const login = await api("POST", "/api/login/", { body: { email: "root@example.com", password: "correct horse battery" } });
      expect(login.status).toBe(200);
      expect((await api("GET", "/api/admin/users/", { token: login.body.access })).status).toBe(200);
      const [row] = await queryRows(server.parley, "SELECT is_staff, is_superuser, password_hash FROM users WHERE id = 1");
      expect(row).toMatchObject({ is_staff: 1, is_superuser: 1 });
      expect(row.password_hash).toStartWith("$argon2id$");
    } finally {
      await server.stop();
    }
  });

  test("interactive: asks like Django, refuses two different passwords, then creates", async () => {
    const dataDir = tempDir();
    const mismatch = await parley(["createsuperuser", "--data-dir", dataDir], { stdin: "admin\nadmin@example.com\nfirst password\nsecond password\n" });
    expectUsageError(mismatch, /^parley: createsuperuser: the two passwords differ$/);
    expect(mismatch.stderr).toStartWith("Username: \nEmail address: \nPassword: \nPassword (again): \n");

    const created = await parley(["createsuperuser", "--data-dir", dataDir], { stdin: "admin\nadmin@example.com\nsame password\nsame password\n" });
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('superuser "admin" created (id 1)\n');
    expect(created.stderr).not.toContain("same password"); // the answer is read, not written back
  });

  test("bad answers exit 2 with the rule that was broken, and create nothing", async () => {
    const dataDir = tempDir();
    const args = ["createsuperuser", "--email", "a@example.com", "--password-stdin", "--data-dir", dataDir];
    expectUsageError(await parley([...args, "--username", "ok"], { stdin: "short\n" }), /password: This password is too short/);
    expectUsageError(await parley([...args, "--username", "has space"], { stdin: "long enough password\n" }), /username: Enter a valid username/);
    expectUsageError(
      await parley(["createsuperuser", "--username", "x", "--email", "not-an-email", "--password-stdin", "--data-dir", dataDir], {
        stdin: "long enough password\n",
      }),
      /email: Enter a valid email address/,
    );
    expectUsageError(await parley([...args, "--username", "ok"]), /no answer to .*stdin closed/);
    expectUsageError(await parley([...args, "--username"]), /--username needs a value/);
    expect((await parley([...args, "--username", "first"], { stdin: "long enough password\n" })).code).toBe(0);
    expectUsageError(await parley([...args, "--username", "second"], { stdin: "long enough password\n" }), /email: .*already exists/);
    const { server } = await listen({ dataDir });
    expect(await queryRows(server.parley, "SELECT username FROM users")).toEqual([{ username: "first" }]);
    await server.stop();
  });
});

describe.skipIf(onPostgres)("backup", () => {
  test("a copy taken during a write load opens, passes integrity_check and holds only acknowledged messages", async () => {
    const { server, api, config } = await listen();
    const alice = await registerUser(api, "alice");
    const bob = await registerUser(api, "bob");
    const conversation = await directWith(api, alice, bob);
    const acknowledged = new Set<number>();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) acknowledged.add((await sendText(api, i % 2 ? alice : bob, conversation, `message ${i}`)).id);
    })();
    try {
      while (acknowledged.size < 50) await Bun.sleep(5); // the load is under way before the backup starts
      const target = join(tempDir(), "snapshot.db");
      const run = await parley(["backup", target, "--data-dir", config.dataDir]);
      const sentDuringBackup = acknowledged.size;
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^backup written to .*snapshot\.db \(\d+\.\d (KiB|MiB), integrity ok\)\n$/);
      writing = false;
      await writer;

      const copy = new Database(target, { readonly: true });
      expect(copy.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      const ids = (copy.query("SELECT id FROM messages ORDER BY id").all() as { id: number }[]).map((row) => row.id);
      expect(ids.length).toBeGreaterThanOrEqual(50);
      expect(ids.length).toBeLessThanOrEqual(sentDuringBackup + 1); // at most the one in flight as the snapshot began
      for (const id of ids.slice(0, -1)) expect(acknowledged.has(id)).toBe(true);
      // A consistent snapshot: every message's event is there, and nothing half-written (ids contiguous).
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0]! + i));
      expect(copy.query("SELECT count(*) AS n FROM events WHERE type = 'message.created'").get()).toEqual({ n: ids.length });
      copy.close();
      expect(readdirSync(join(target, "..")).filter((name) => name !== "snapshot.db")).toEqual([]); // no partial file left
    } finally {
      writing = false;
      await writer;
      await server.stop();
    }
  });

  test("refuses an existing file, a missing folder, no file or two files, with exit 2", async () => {
    const dataDir = tempDir();
    expect((await parley(["migrate", "--data-dir", dataDir])).code).toBe(0);
    const existing = join(dataDir, "parley.db");
    expectUsageError(await parley(["backup", existing, "--data-dir", dataDir]), /already exists; choose a new file name$/);
    expectUsageError(await parley(["backup", join(dataDir, "no/such/folder/x.db"), "--data-dir", dataDir]), /folder .* does not exist$/);
    expectUsageError(await parley(["backup", "--data-dir", dataDir]), /needs the file to write/);
    expectUsageError(await parley(["backup", "a.db", "b.db", "--data-dir", dataDir]), /unexpected argument "b.db"/);
  });

  test("with no database in the data dir it fails with exit 1 and writes nothing", async () => {
    const dataDir = tempDir();
    const target = join(tempDir(), "copy.db");
    const run = await parley(["backup", target, "--data-dir", dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^parley: no database at .*parley\.db\n$/);
    expect(existsSync(target)).toBe(false);
  });
});

describe.if(onPostgres)("backup on PostgreSQL", () => {
  test("says to use pg_dump (exit 2) and writes nothing", async () => {
    const { config } = await listen();
    const target = join(tempDir(), "snapshot.db");
    const run = await parley(["backup", target, "--data-dir", config.dataDir]);
    expectUsageError(run, /the database is PostgreSQL \(PARLEY_DATABASE_URL\): back it up with pg_dump/);
    expect(existsSync(target)).toBe(false);
  });
});

describe("usage", () => {
  test("--help on each command describes it and exits 0", async () => {
    for (const [command, first] of [
      ["serve", "Usage: parley [serve] [options]"],
      ["migrate", "Usage: parley migrate [options]"],
      ["createsuperuser", "Usage: parley createsuperuser"],
      ["backup", "Usage: parley backup <file> [options]"],
      ["copy-to-postgres", "Usage: parley copy-to-postgres <postgres-url> [options]"],
      ["version", "Usage: parley version"],
    ]) {
      const run = await parley([command!, "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toStartWith(first!);
    }
    const general = await parley(["--help"]);
    expect(general.code).toBe(0);
    for (const command of ["serve", "migrate", "createsuperuser", "backup", "import-django", "copy-to-postgres", "version"])
      expect(general.stdout).toContain(`  ${command} `);
    expect(general.stdout).toContain("PARLEY_DATA_DIR");
    expect(general.stdout).toContain("PARLEY_DATABASE_URL");
  });

  test("a PostgreSQL that does not answer stops the start with exit 1 and one line saying where, not the password", async () => {
    const run = await parley(["serve", "--port", "0", "--data-dir", tempDir()], {
      env: { PARLEY_DATABASE_URL: "postgres://parley:hunter2-secret@127.0.0.1:1/parley" },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^parley: PostgreSQL at 127\.0\.0\.1:1\/parley \(PARLEY_DATABASE_URL\): .+\n$/);
    expect(run.stderr + run.stdout).not.toContain("hunter2");
  });

  test("an unknown command, an unknown option and a bad config value exit 2 with one clear line", async () => {
    expectUsageError(await parley(["frobnicate"]), /^parley: unknown command "frobnicate"; see parley --help$/);
    expectUsageError(await parley(["migrate", "--colour", "red"]), /^parley: bad configuration: unknown option --colour$/);
    expectUsageError(
      await parley(["serve"], { env: { PARLEY_PORT: "seventy" } }),
      /^parley: bad configuration: PARLEY_PORT must be a whole number from 0 to 65535$/,
    );
    expect((await parley(["version"])).stdout).toMatch(/^parley \d+\.\d+\.\d+ \(bun \d+\.\d+\.\d+\)\n$/);
  });
});

describe("serve", () => {
  test.skipIf(onPostgres)("checkpoints the write-ahead log from its checkpoint worker (in the binary: its third entrypoint)", async () => {
    const server = await serve(tempDir());
    try {
      const api = httpClient(server.url);
      const alice = await registerUser(api, "alice");
      const bob = await registerUser(api, "bob");
      await sendText(api, alice, await directWith(api, alice, bob), "into the log, then the database file");
      // The worker starts at the first write and reports each checkpoint; nothing else moves this counter.
      const checkpoints = async () => Number(/^parley_wal_checkpoints_total (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
      for (let i = 0; i < 200 && (await checkpoints()) === 0; i++) await Bun.sleep(25);
      expect(await checkpoints()).toBeGreaterThan(0);
      expect(server.lines.map(parse).filter((entry) => entry?.level === "error" || entry?.level === "warn")).toEqual([]);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  });

  test("answers heavy reads from its read workers (in the binary: its second entrypoint), with each commit seen", async () => {
    const dataDir = tempDir();
    const server = await serve(dataDir, { PARLEY_READ_WORKERS: "2" });
    try {
      const api = httpClient(server.url);
      const alice = await registerUser(api, "alice");
      const bob = await registerUser(api, "bob");
      const conversation = await directWith(api, alice, bob);
      const first = await sendText(api, alice, conversation, "the page before");
      const sent = await sendText(api, alice, conversation, "a worker finds this");
      const [list, search, older] = await Promise.all([
        api("GET", "/api/conversations/", { token: bob.access }),
        api("GET", "/api/search/?q=worker", { token: bob.access }),
        api("GET", `/api/messages/${conversation}/?page=2&limit=1`, { token: bob.access }),
      ]);
      expect(list.body.map((c: any) => [c.id, c.unread_count])).toEqual([[conversation, 2]]);
      expect(search.body.results.map((r: any) => r.id)).toEqual([sent.id]);
      expect(older.body.map((m: any) => m.id)).toEqual([first.id]);
      expect(server.lines.map(parse).filter((entry) => entry?.level === "error")).toEqual([]);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  });
});
