import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { migrations } from "../../migrations";
import { Migrator } from "kysely";
import { migrateToLatest, openDatabase } from "../../src/db";
import { tempDir } from "../helpers";

describe("migrations", () => {
  test("every file in migrations/ is listed in migrations/index.ts, in order", () => {
    const files = readdirSync(join(import.meta.dir, "../../migrations"))
      .filter((f) => /^\d{4}_.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    expect(Object.keys(migrations)).toEqual(files);
  });

  test("apply to an empty database, are idempotent, and set the SQLite durability settings", async () => {
    const dir = tempDir();
    const first = openDatabase(dir);
    const applied = await migrateToLatest(first.db);
    expect(applied.results?.map((r) => r.status)).toEqual(Object.keys(migrations).map(() => "Success"));
    expect(first.sqlite!.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(first.sqlite!.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    expect(first.sqlite!.query("PRAGMA synchronous").get()).toEqual({ synchronous: 1 }); // NORMAL
    await first.close();

    const again = openDatabase(dir, "full");
    expect((await migrateToLatest(again.db)).results).toEqual([]);
    expect(again.sqlite!.query("PRAGMA synchronous").get()).toEqual({ synchronous: 2 }); // FULL
    await again.close();
  });

  test("0016 counts each member's unread messages already there, and keeps counting", async () => {
    const handle = openDatabase(tempDir());
    const migrator = new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo("0014_outgoing_webhooks")).error).toBeUndefined();
    const run = (text: string, ...params: (string | number | null)[]) => handle.sqlite!.query(text).run(...params);
    for (const name of ["ann", "ben"])
      run("INSERT INTO users (username, username_key, email, password_hash, date_joined) VALUES (?1, ?1, ?2, 'x', 0)", name, `${name}@x.test`);
    run("INSERT INTO conversations (kind, name, name_key, created_by, created_at) VALUES ('group', 'g', 'g', 1, 0)");
    for (let i = 1; i <= 5; i++)
      run("INSERT INTO messages (conversation_id, sender_id, body, created_at, deleted_at) VALUES (1, ?, 'm', 0, ?)", i === 5 ? 2 : 1, i === 4 ? 1 : null);
    run(
      "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, last_read_message_id) VALUES (1, 1, 'owner', 0, NULL), (1, 2, 'member', 0, 1)",
    );
    await migrateToLatest(handle.db);
    const counts = () =>
      handle
        .sqlite!.query(
          "SELECT user_id, live_messages - read_live - own_after_read AS unread_count FROM conversation_members JOIN conversations ON id = conversation_id ORDER BY user_id",
        )
        .all();
    // ann: ben's message 5; ben: ann's 2 and 3 (4 is a tombstone, 1 was read)
    expect(counts()).toEqual([
      { user_id: 1, unread_count: 1 },
      { user_id: 2, unread_count: 2 },
    ]);
    run("INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES (1, 1, 'm', 0)");
    run("UPDATE conversation_members SET last_read_message_id = 5 WHERE user_id = 1");
    expect(counts()).toEqual([
      { user_id: 1, unread_count: 0 },
      { user_id: 2, unread_count: 3 },
    ]);
    expect((await migrator.migrateDown()).error).toBeUndefined();
    await handle.close();
  });
});
