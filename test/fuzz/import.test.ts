// Fuzzing `parley import-django` with damaged copies of the original's database: truncated or overwritten bytes,
// a schema that is not the original's, and rows with wrong types, dangling references and bad password hashes.
// Each run either refuses with a clear one-line error (exit 1 or 2) and leaves the target data dir as it was (no
// row, no upload), or imports (exit 0) what it can and reports the rest, into a database that is sound and where
// a login with a damaged hash is refused, never a 5xx. Never a crash or a stack trace. Bounded; FUZZ_RUNS=n for more.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { openSync, readdirSync, statSync, truncateSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { CompiledQuery } from "kysely";
import fc from "fast-check";
import { createApp } from "../../src/app";
import { openConfiguredDatabase } from "../../src/db";
import { handleClient, testConfig } from "../helpers";
import { copyFixture, runImport, type FixtureCopy } from "../import/import-helpers";
import { fuzzParameters, fuzzRuns, fuzzTimeout, invariantViolations } from "./fuzz-helpers";

const TABLES = ["users", "conversations", "conversation_members", "messages", "files", "events"];

/** A data dir with a migrated, empty Parley database, as the first start leaves it. */
async function emptyDataDir(): Promise<string> {
  const config = testConfig();
  await (await createApp(config)).close();
  return config.dataDir;
}

async function rowCounts(dataDir: string): Promise<Record<string, number>> {
  const database = openConfiguredDatabase(testConfig({ dataDir }));
  try {
    const counts: Record<string, number> = {};
    for (const table of TABLES)
      counts[table] = Number((await database.db.executeQuery<{ n: number }>(CompiledQuery.raw(`SELECT count(*) AS n FROM ${table}`))).rows[0]!.n);
    return counts;
  } finally {
    await database.close();
  }
}

const nothing = Object.fromEntries(TABLES.map((t) => [t, 0]));

/** Values SQLite's loose typing lets into any column: wrong types, out of range, dangling ids, hostile text. */
const BAD_VALUES = [
  "NULL",
  "''",
  "'abc'",
  "-1",
  "0",
  "9999",
  "9223372036854775807",
  "1.5",
  "x'00ff10'",
  "'pbkdf2_sha256$x$salt$hash'",
  "'pbkdf2_sha256$999999999$salt$aGFzaA=='",
  "'pbkdf2_sha256$1$$'",
  "'pbkdf2_sha1$260000$salt$'",
  "'!unusable'",
  "'md5$$d41d8cd98f00b204e9800998ecf8427e'",
  "'bcrypt_sha256$$2b$12$abc'",
  "'argon2$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA'",
  "char(0)",
  "'a' || char(0) || 'b'",
  "replace(hex(zeroblob(5000)), '00', 'ü')",
  "'2025-13-45 99:99:99'",
  "'not a date'",
  "'../../../../etc/passwd'",
  "'/etc/passwd'",
  "'‮evil'",
];

const COLUMNS: Record<string, string[]> = {
  authentication_customuser: ["password", "username", "email", "first_name", "is_active", "is_staff", "date_joined"],
  chat_group: ["name"],
  chat_group_members: ["group_id", "customuser_id"],
  chat_message: ["sender_id", "receiver_user_id", "receiver_group_id", "message", "file", "timestamp", "file_expiry"],
};

const mutation = fc
  .constantFrom(...Object.keys(COLUMNS))
  .chain((table) =>
    fc.record({ table: fc.constant(table), column: fc.constantFrom(...COLUMNS[table]!), row: fc.nat(12), value: fc.constantFrom(...BAD_VALUES) }),
  );

type Damage =
  | { kind: "truncate"; fraction: number }
  | { kind: "overwrite"; fraction: number; bytes: Uint8Array }
  | { kind: "schema"; statement: string }
  | { kind: "rows"; mutations: { table: string; column: string; row: number; value: string }[] };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), fraction: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
  fc.record({
    kind: fc.constant("overwrite" as const),
    fraction: fc.double({ min: 0, max: 0.999, noNaN: true }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4096 }),
  }),
  fc.record({
    kind: fc.constant("schema" as const),
    statement: fc.constantFrom(
      "DROP TABLE chat_message",
      "ALTER TABLE chat_group RENAME COLUMN name TO title",
      "ALTER TABLE authentication_customuser RENAME TO users",
      "DROP TABLE chat_group; CREATE VIEW chat_group AS SELECT 1 AS id, 'a view' AS name",
      "DROP TABLE chat_group_members; CREATE TABLE chat_group_members (id TEXT, group_id TEXT, customuser_id TEXT); INSERT INTO chat_group_members VALUES ('x', 'y', 'z')",
      "DELETE FROM sqlite_sequence",
    ),
  }),
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("rows" as const), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) }) },
);

/** Damages the copy; returns which users' password hashes were changed (to try logging in as them). */
function apply(copy: FixtureCopy, d: Damage): number[] {
  const size = statSync(copy.db).size;
  if (d.kind === "truncate") truncateSync(copy.db, Math.floor(size * d.fraction));
  if (d.kind === "overwrite") {
    const fd = openSync(copy.db, "r+");
    writeSync(fd, d.bytes, 0, d.bytes.length, Math.floor(size * d.fraction));
    closeSync(fd);
  }
  const changedPasswords: number[] = [];
  if (d.kind === "schema" || d.kind === "rows") {
    const db = new Database(copy.db);
    if (d.kind === "schema") db.run(d.statement);
    else
      for (const m of d.mutations) {
        const target = `SELECT rowid FROM ${m.table} ORDER BY rowid LIMIT 1 OFFSET ${m.row % 6}`;
        try {
          const row = db.query<{ id: number }, []>(`SELECT id FROM ${m.table} WHERE rowid IN (${target})`).get();
          db.run(`UPDATE ${m.table} SET ${m.column} = ${m.value} WHERE rowid IN (${target})`);
          if (m.table === "authentication_customuser" && m.column === "password" && row) changedPasswords.push(row.id);
        } catch {} // a NOT NULL or UNIQUE constraint said no: that damage cannot happen
      }
    db.close();
  }
  return changedPasswords;
}

describe("import-django of damaged databases", () => {
  test(
    "refuses with one clear line and writes nothing, or imports a sound database; never a crash",
    async () => {
      const outcomes: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(damage, async (d) => {
          const copy = copyFixture();
          const changedPasswords = apply(copy, d);
          const dataDir = await emptyDataDir();
          const result = await runImport("--db", copy.db, "--media", copy.media, "--data-dir", dataDir);
          const what = `${JSON.stringify(d).slice(0, 300)} → exit ${result.code}: ${result.stderr.slice(0, 500)}`;
          outcomes[`${d.kind} exit ${result.code}`] = (outcomes[`${d.kind} exit ${result.code}`] ?? 0) + 1;
          expect([0, 1, 2], what).toContain(result.code);
          expect(result.stderr, what).not.toMatch(/\n\s+at |TypeError|RangeError|SyntaxError|undefined is not/);
          if (result.code !== 0) {
            expect(result.stderr, what).toMatch(/^parley: [^\n]+\n$/);
            expect(result.stdout).toBe("");
            expect(await rowCounts(dataDir), what).toEqual(nothing);
            expect(readdirSync(join(dataDir, "uploads"))).toEqual([]);
            return;
          }
          const config = testConfig({ dataDir });
          const parley = await createApp(config);
          try {
            expect(await invariantViolations(parley, dataDir), what).toEqual([]);
            const api = handleClient(parley);
            const users = await parley.ctx.db
              .selectFrom("users")
              .select(["id", "email"])
              .where("id", "in", changedPasswords.length ? changedPasswords : [-1])
              .execute();
            for (const user of users) {
              const login = await api("POST", "/api/login/", { body: { email: user.email, password: "Passw0rd-anything" } });
              expect(login.status, what).toBe(401);
            }
          } finally {
            await parley.close();
          }
        }),
        fuzzParameters(fuzzRuns(6)),
      );
      console.log("import-django fuzz outcomes:", JSON.stringify(outcomes));
    },
    fuzzTimeout(120_000),
  );
});
