// A full data disk (a small tmpfs, filled during the test): writes are refused with a 507 and the API's error shape,
// reads keep working, nothing is half-written, /readyz and the log say why (once), and writes succeed again when
// space returns, without a restart. Nothing acknowledged before or after is lost.
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../src/lib/log";
import { type RunningServer, startServer } from "../../src/server";
import { counts, createGroup, send, upload } from "../chat-helpers";
import { httpClient, queryRows, registerUser, testConfig } from "../helpers";
import { onPostgres } from "../test-database";
import { connect } from "../ws-helpers";

/** A small tmpfs to fill, or why there is none (mounting needs root). */
function mountSmallDisk(): { dir: string } | { reason: string } {
  if (process.getuid?.() !== 0) return { reason: "mounting a tmpfs needs root" };
  const dir = mkdtempSync(join(tmpdir(), "parley-disk-full-"));
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir]);
  if (mounted.exitCode === 0) return { dir };
  rmSync(dir, { recursive: true, force: true });
  return { reason: `mount -t tmpfs failed: ${mounted.stderr.toString().trim()}` };
}

/** Writes a file until the file system says ENOSPC: big chunks, then small ones for the last pages. */
function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [1024 * 1024, 4096, 512]) {
      const chunk = new Uint8Array(size).fill(7);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as { code?: string }).code !== "ENOSPC") throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const disk = mountSmallDisk();
const why = "reason" in disk ? disk.reason : null;
if (why) console.warn(`disk-full tests skipped: ${why}`);

describe.skipIf(why !== null)("a full data disk", () => {
  const mount = "dir" in disk ? disk.dir : "";
  const logLines: Record<string, unknown>[] = [];
  let server: RunningServer;

  afterAll(async () => {
    await server?.stop();
    Bun.spawnSync(["umount", mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  test("writes answer 507, reads work, nothing half-written, /readyz and the log say why once; freeing space recovers it", async () => {
    const dataDir = join(mount, "data");
    mkdirSync(dataDir);
    const log = createLogger("info", (line) => logLines.push(JSON.parse(line)));
    server = await startServer(testConfig({ dataDir, logLevel: "info" }), { log });
    const api = httpClient(server.url);
    const alice = await registerUser(api, "alice");
    const group = await createGroup(api, alice);
    const acknowledged: number[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = await send(api, alice, group.id, { message: `before ${i}` });
      expect(sent.status).toBe(201);
      acknowledged.push(sent.body.id);
    }
    const socket = await connect(server.url, alice.access);
    const uploads = join(dataDir, "uploads");
    const filesBefore = readdirSync(uploads).sort();
    const rowsBefore = await counts(server.parley);

    const filler = join(mount, "filler");
    fillDisk(filler);

    // An upload: the bytes do not fit; the partial file is removed and no row written.
    const uploaded = await upload(api, alice, group.id, new Uint8Array(256 * 1024).fill(1), "big.bin");
    expect(uploaded.status).toBe(507);
    expect(uploaded.body).toEqual({ detail: expect.any(String), error: expect.any(String), code: "insufficient_storage" });
    expect(readdirSync(uploads).sort()).toEqual(filesBefore);
    expect(await counts(server.parley)).toEqual(rowsBefore);

    if (onPostgres) {
      console.warn("disk-full: the REST and /ws text sends skipped on PostgreSQL (its database is not on the full disk)");
    } else {
      // Text sends: SQLite's WAL may still have room from earlier writes; each send is acknowledged (201) or refused
      // (507), until the WAL has to grow.
      let refused = null as Awaited<ReturnType<typeof send>> | null;
      for (let i = 0; i < 200 && !refused; i++) {
        const sent = await send(api, alice, group.id, { message: `while full ${i} ${"x".repeat(2000)}` });
        if (sent.status === 201) acknowledged.push(sent.body.id);
        else refused = sent;
      }
      expect(refused?.status).toBe(507);
      expect(refused?.body.code).toBe("insufficient_storage");
      const rowsRefused = await counts(server.parley);
      expect(rowsRefused.messages).toBe(rowsBefore.messages + acknowledged.length - 3);

      socket.send({ type: "message.send", conversation_id: group.id, message: "over the socket", ref: "full" });
      const frame = await socket.next((f) => f.ref === "full");
      expect(frame).toMatchObject({ type: "error", ref: "full", data: { code: "insufficient_storage" } });
      expect(await counts(server.parley)).toEqual(rowsRefused);

      for (let i = 0; i < 3; i++) expect((await send(api, alice, group.id, { message: `again ${i}` })).status).toBe(507);
    }

    // Reads keep working.
    const history = await api("GET", `/api/messages/${group.id}/`, { token: alice.access });
    expect(history.status).toBe(200);
    const ready = await api("GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: "unavailable", reason: "disk full" });
    expect((await api("GET", "/readyz")).body.reason).toBe("disk full");
    expect(logLines.filter((line) => String(line.msg).startsWith("disk full")).map((line) => line.level)).toEqual(["warn"]);
    expect(logLines.some((line) => line.msg === "unhandled error")).toBe(false);

    unlinkSync(filler);
    const after = await send(api, alice, group.id, { message: "after" });
    expect(after.status).toBe(201);
    acknowledged.push(after.body.id);
    const attached = await upload(api, alice, group.id, "bytes after", "after.txt");
    expect(attached.status).toBe(201);
    acknowledged.push(attached.body.id);
    expect((await api("GET", "/readyz")).status).toBe(200);
    expect(logLines.filter((line) => String(line.msg).startsWith("disk space is back")).map((line) => line.level)).toEqual(["info"]);

    // Nothing acknowledged was lost: every id is in the history, and every file row has its bytes.
    const ids: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await api("GET", `/api/messages/${group.id}/?limit=100${before ? `&before=${before}` : ""}`, { token: alice.access });
      expect(page.status).toBe(200);
      if (!page.body.length) break;
      ids.push(...page.body.map((m: { id: number }) => m.id));
      before = Math.min(...page.body.map((m: { id: number }) => m.id));
    }
    expect(ids.filter((id) => acknowledged.includes(id)).sort((a, b) => a - b)).toEqual([...acknowledged].sort((a, b) => a - b));
    const rowsAfter = await counts(server.parley);
    expect(readdirSync(uploads).length).toBe(filesBefore.length + 1);
    expect(rowsAfter.files).toBe(rowsBefore.files + 1);
    if (!onPostgres) expect(await queryRows(server.parley, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    await socket.close();
  });
});
