import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { migrations } from "../../migrations";
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
});
