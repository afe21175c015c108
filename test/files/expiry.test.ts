// File expiry: files live PARLEY_FILE_TTL (0: forever); then the API answers 410 and the sweeper deletes the bytes
// and marks the row. Swept by calling sweepExpiredFiles, and by a listening server's housekeeping on its own.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { Parley } from "../../src/app";
import { sweepExpiredFiles } from "../../src/modules/files/service";
import { listen, makeApp, registerUser, type Api } from "../helpers";
import { createGroup, upload, uploadedFiles, uploadPath, waitFor } from "../chat-helpers";

async function setup(api: Api) {
  const [owner, member] = await Promise.all([registerUser(api, "owner"), registerUser(api, "member")]);
  const group = await createGroup(api, owner, [member.id]);
  return { owner, member, group };
}

async function fileOf(parley: Parley, messageId: number) {
  const { file_id } = await parley.ctx.db.selectFrom("messages").select("file_id").where("id", "=", messageId).executeTakeFirstOrThrow();
  return parley.ctx.db.selectFrom("files").selectAll().where("id", "=", file_id!).executeTakeFirstOrThrow();
}

const download = (parley: Parley, url: string) => parley.app.handle(new Request(`http://localhost${url}`));

describe("a short PARLEY_FILE_TTL", () => {
  test("once expired: 410 for the details and the bytes, file: null in history; the sweep deletes the bytes and sets deleted_at", async () => {
    const { parley, api } = await makeApp({ fileTtlMs: 1 });
    const { owner, member, group } = await setup(api);
    const sent = await upload(api, owner, group.id, "short-lived", "brief.txt", "text/plain", { message: "read it quickly" });
    expect(sent.status).toBe(201);
    const row = await fileOf(parley, sent.body.id);
    expect(row.expires_at).toBe(row.created_at + 1);
    const path = uploadPath(parley, row.storage_name);
    expect(existsSync(path)).toBe(true);
    expect(await waitFor(() => Date.now() > row.expires_at!)).toBe(true);

    // Expired, though not swept yet: refused everywhere.
    const info = await api("GET", `/api/messages/files/${sent.body.id}/`, { token: member.access });
    expect(info.status).toBe(410);
    expect(info.body.error).toBe("File has expired.");
    // (The send's own answer may already have had file: null; a URL signed now is valid, the file is not.)
    const signed = parley.ctx.fileUrls.sign(row.id);
    expect((await download(parley, signed)).status).toBe(410);
    const history = await api("GET", `/api/messages/${group.id}/`, { token: member.access });
    expect(history.body[0]).toMatchObject({ id: sent.body.id, message: "read it quickly", file: null, attachment: { name: "brief.txt", expired: true } });

    // The sweep.
    const now = Date.now();
    expect(await sweepExpiredFiles(parley.ctx, now)).toBe(1);
    expect(existsSync(path)).toBe(false);
    expect(uploadedFiles(parley)).toEqual([]);
    const swept = await fileOf(parley, sent.body.id);
    expect(swept.deleted_at).toBe(now);
    expect(swept).toMatchObject({ original_name: "brief.txt", sha256: row.sha256, size: row.size }); // the row stays, marked
    // Swept files are not swept again; the message itself stays.
    expect(await sweepExpiredFiles(parley.ctx, Date.now())).toBe(0);
    expect((await fileOf(parley, sent.body.id)).deleted_at).toBe(now);
    const gone = await api("GET", `/api/messages/files/${sent.body.id}/`, { token: owner.access });
    expect(gone.status).toBe(410);
    expect(gone.body.error).toBe("File has expired.");
    expect((await download(parley, parley.ctx.fileUrls.sign(row.id))).status).toBe(410);
    expect((await api("GET", `/api/messages/${group.id}/`, { token: owner.access })).body[0].message).toBe("read it quickly");
    // Expired or not, strangers still learn nothing more than 403.
    const stranger = await registerUser(api, "stranger");
    expect((await api("GET", `/api/messages/files/${sent.body.id}/`, { token: stranger.access })).status).toBe(403);
  });
});

describe("sweepExpiredFiles(ctx, now)", () => {
  test("removes exactly the files whose expiry has passed at `now`", async () => {
    const ttl = 60_000;
    const { parley, api } = await makeApp({ fileTtlMs: ttl });
    const { owner, group } = await setup(api);
    const early = await upload(api, owner, group.id, "early", "early.txt", "text/plain");
    const earlyRow = await fileOf(parley, early.body.id);
    // A second file made later: one ms past the first file's expiry is before the second's.
    while (Date.now() <= earlyRow.created_at) await Bun.sleep(1);
    const late = await upload(api, owner, group.id, "late", "late.txt", "text/plain");
    const lateRow = await fileOf(parley, late.body.id);
    expect(lateRow.expires_at).toBeGreaterThan(earlyRow.expires_at!);

    expect(await sweepExpiredFiles(parley.ctx, Date.now())).toBe(0);
    expect(await sweepExpiredFiles(parley.ctx, earlyRow.expires_at! - 1)).toBe(0);
    expect(uploadedFiles(parley).sort()).toEqual([earlyRow.storage_name, lateRow.storage_name].sort());
    const info = await api("GET", `/api/messages/files/${early.body.id}/`, { token: owner.access });
    expect(info.status).toBe(200);
    expect(info.body.expires_at).toBe(new Date(earlyRow.expires_at!).toISOString());

    expect(await sweepExpiredFiles(parley.ctx, earlyRow.expires_at!)).toBe(1);
    expect(uploadedFiles(parley)).toEqual([lateRow.storage_name]);
    expect((await fileOf(parley, early.body.id)).deleted_at).toBe(earlyRow.expires_at);
    expect((await fileOf(parley, late.body.id)).deleted_at).toBeNull();
    // Swept means expired for the API, even before the clock reaches expires_at.
    expect((await api("GET", `/api/messages/files/${early.body.id}/`, { token: owner.access })).status).toBe(410);
    expect((await api("GET", `/api/messages/files/${late.body.id}/`, { token: owner.access })).status).toBe(200);

    expect(await sweepExpiredFiles(parley.ctx, lateRow.expires_at! + ttl)).toBe(1);
    expect(uploadedFiles(parley)).toEqual([]);
  });
});

describe("PARLEY_FILE_TTL 0", () => {
  test("files never expire: expires_at null, never swept", async () => {
    const { parley, api } = await makeApp({ fileTtlMs: 0 });
    const { owner, member, group } = await setup(api);
    const sent = await upload(api, owner, group.id, "forever", "forever.txt", "text/plain");
    expect(sent.status).toBe(201);
    expect(sent.body.attachment.expires_at).toBeNull();
    const row = await fileOf(parley, sent.body.id);
    expect(row.expires_at).toBeNull();
    expect(await sweepExpiredFiles(parley.ctx, Date.now() + 100 * 365 * 86_400_000)).toBe(0);
    expect(existsSync(uploadPath(parley, row.storage_name))).toBe(true);
    const info = await api("GET", `/api/messages/files/${sent.body.id}/`, { token: member.access });
    expect(info.status).toBe(200);
    expect(info.body.expires_at).toBeNull();
    expect(await (await download(parley, info.body.file_url)).text()).toBe("forever");
  });
});

describe("a listening server sweeps on its own", () => {
  test("with a small PARLEY_SWEEP_INTERVAL the bytes disappear from disk and the row is marked", async () => {
    const { server, api } = await listen({ fileTtlMs: 100, sweepIntervalMs: 50 });
    const parley = server.parley;
    const { owner, member, group } = await setup(api);
    const sent = await upload(api, owner, group.id, "swept by housekeeping", "swept.txt", "text/plain");
    expect(sent.status).toBe(201);
    const row = await fileOf(parley, sent.body.id);
    const path = uploadPath(parley, row.storage_name);
    expect(existsSync(path)).toBe(true);
    expect(row.deleted_at).toBeNull();

    expect(await waitFor(() => !existsSync(path), 5_000)).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(row.expires_at!); // not before its time
    expect(await waitFor(async () => (await fileOf(parley, sent.body.id)).deleted_at !== null, 2_000)).toBe(true);
    const swept = await fileOf(parley, sent.body.id);
    expect(swept.deleted_at!).toBeGreaterThanOrEqual(row.expires_at!);
    expect(uploadedFiles(parley)).toEqual([]);
    const info = await api("GET", `/api/messages/files/${sent.body.id}/`, { token: member.access });
    expect(info.status).toBe(410);
    expect(info.body.error).toBe("File has expired.");
  });
});
