// SQLite's write-ahead log is checkpointed by a worker thread, never by the writer on the event loop: the log stays
// bounded under writes, the writer takes over when the worker falls behind, and closing the server stops the worker.
import { describe, expect, test } from "bun:test";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { databasePath, openDatabase } from "../../src/db";
import { WalCheckpointer } from "../../src/db/checkpointer";
import { createLogger } from "../../src/lib/log";
import { createGroup, registerUsers, sendText } from "../chat-helpers";
import { makeApp, tempDir } from "../helpers";
import { onPostgres } from "../test-database";

const ENTRY = new URL("../../src/checkpoint-worker.ts", import.meta.url);
const KIB = 1024;
const log = createLogger("silent");

/** A database with the app's schema, and a writer that inserts `bytes` of text in one commit. */
function database() {
  const dataDir = tempDir();
  const handle = openDatabase(dataDir);
  const sqlite = handle.sqlite!;
  sqlite.run("CREATE TABLE filler (body TEXT)");
  const insert = sqlite.prepare("INSERT INTO filler (body) VALUES (?)");
  let n = 0;
  const write = (bytes: number) => {
    for (let done = 0; done < bytes; done += 16 * KIB) insert.run(`${n++}`.padEnd(16 * KIB, "x"));
  };
  return { dataDir, handle, sqlite, write };
}

const autocheckpoint = (sqlite: import("bun:sqlite").Database) =>
  sqlite.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint;

describe.skipIf(onPostgres)("the checkpoint worker", () => {
  test("keeps the log bounded while 16 MiB are written and the writer never checkpoints", async () => {
    const { dataDir, handle, sqlite, write } = database();
    const checkpointer = new WalCheckpointer(sqlite, databasePath(dataDir), {
      entry: ENTRY,
      db: handle.db,
      log,
      intervalMs: 50,
      watchMs: 5,
      rewindBytes: 256 * KIB,
    });
    try {
      expect(autocheckpoint(sqlite)).toBe(0);
      let largest = 0;
      for (let round = 0; round < 32; round++) {
        write(512 * KIB);
        largest = Math.max(largest, checkpointer.walBytes());
        // Until the worker has moved all of it: the next commit then starts the log over, cut to 256 KiB.
        for (let report = await checkpointer.nextCheckpoint(); report.checkpointed < report.log; report = await checkpointer.nextCheckpoint());
      }
      expect(checkpointer.running).toBe(true);
      expect(checkpointer.checkpoints).toBeGreaterThanOrEqual(32);
      expect(checkpointer.fallback).toBe(false);
      // A round's 512 KiB (800 KiB of frames) once a commit started the log over; a reader reading just then may put
      // that off to the next round's commits, never to all 16 MiB written.
      expect(largest).toBeLessThanOrEqual(4 * 1024 * KIB);
      expect(statSync(databasePath(dataDir)).size).toBeGreaterThan(16 * 1024 * KIB); // the rows reached the database file
    } finally {
      await checkpointer.stop();
      await handle.close();
    }
  });

  test("hands checkpoints back to the writer while the log is over its bound, and takes them again once it is small", async () => {
    const { dataDir, handle, sqlite, write } = database();
    // A worker that never gets to checkpoint (as on a starved core), and looks taken by hand.
    const checkpointer = new WalCheckpointer(sqlite, databasePath(dataDir), {
      entry: ENTRY,
      db: handle.db,
      log,
      intervalMs: 3_600_000,
      watchMs: 3_600_000,
      rewindBytes: 256 * KIB,
      fallbackBytes: 2 * 1024 * KIB,
    });
    const look = () => (checkpointer as unknown as { look(): void }).look();
    try {
      write(3 * 1024 * KIB);
      look();
      expect(checkpointer.walBytes()).toBeGreaterThan(2 * 1024 * KIB);
      expect(checkpointer.fallback).toBe(true);
      expect(autocheckpoint(sqlite)).toBe(1000);
      // The writer checkpoints at its commits now; a later commit starts the log over, cut to 256 KiB.
      for (let i = 0; i < 128 && checkpointer.walBytes() > 320 * KIB; i++) write(64 * KIB);
      expect(checkpointer.walBytes()).toBeLessThanOrEqual(256 * KIB + 64 * KIB);
      look();
      expect(checkpointer.fallback).toBe(false);
      expect(autocheckpoint(sqlite)).toBe(0);
    } finally {
      await checkpointer.stop();
      await handle.close();
    }
  });

  test("that cannot start leaves checkpoints to the writer, as SQLite does by default", async () => {
    const { dataDir, handle, sqlite, write } = database();
    const broken = join(tempDir(), "broken-worker.ts");
    writeFileSync(broken, 'throw new Error("cannot load");\n');
    const checkpointer = new WalCheckpointer(sqlite, databasePath(dataDir), { entry: broken, db: handle.db, log, watchMs: 3_600_000 });
    const internals = checkpointer as unknown as { look(): void; exited: Promise<void> };
    try {
      write(64 * KIB);
      internals.look();
      expect(checkpointer.running).toBe(true);
      await internals.exited;
      expect(checkpointer.running).toBe(false);
      expect(autocheckpoint(sqlite)).toBe(1000);
      internals.look(); // not started again
      expect(checkpointer.running).toBe(false);
    } finally {
      await checkpointer.stop();
      await handle.close();
    }
  });

  test("runs in every app from its first write, and stops when the app closes (the log folded into the database)", async () => {
    const { parley, api, config } = await makeApp();
    const checkpointer = parley.checkpointer!;
    const [alice] = await registerUsers(api, ["ckpt_alice"] as const);
    const group = await createGroup(api, alice);
    await sendText(api, alice, group.id, "into the log, then the database file");
    const report = await checkpointer.nextCheckpoint();
    expect(report.checkpointed).toBeGreaterThan(0);
    expect(checkpointer.running).toBe(true);
    await parley.close();
    expect(checkpointer.running).toBe(false);
    const wal = `${databasePath(config.dataDir)}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
  });
});
