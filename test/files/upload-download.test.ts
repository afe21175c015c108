// Attachments: stored under server-made names with their metadata, downloaded byte for byte through signed URLs
// (ETag, Range, safe content headers), refused when the signature is wrong or old, and held to the upload limit.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Parley } from "../../src/app";
import { checkedFetch, listen, makeApp, queryRows, registerUser, type Api, type ApiResponse, type TestUser } from "../helpers";
import { counts, createGroup, expectRefused, form, randomBytes, send, sha256Hex, upload, uploadedFiles, uploadsDir, registerUsers } from "../chat-helpers";

const { parley, api, config } = await makeApp();
const db = parley.ctx.db;
const [alice, bob, mallory] = await registerUsers(api, ["alice", "bob", "mallory"]);
const group = await createGroup(api, alice, [bob.id]);

/** A real 1×1 PNG. */
const PNG = Uint8Array.from(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64"));

/** The raw download (no JSON parsing): status, headers and bytes. */
async function download(parley: Parley, url: string, headers: Record<string, string> = {}) {
  const response = await parley.app.handle(new Request(`http://localhost${url}`, { headers }));
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const fileRow = (id: number) => db.selectFrom("files").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const fileIdOf = (message: { id: number }) =>
  db
    .selectFrom("messages")
    .select("file_id")
    .where("id", "=", message.id)
    .executeTakeFirstOrThrow()
    .then((r) => r.file_id!);

/** Every file name under `dir`, recursively. */
function allNames(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? [entry.name, ...allNames(join(dir, entry.name))] : [entry.name]));
}

async function uploadOk(api: Api, user: TestUser, bytes: Uint8Array<ArrayBuffer> | string, name: string, type: string, fields: Record<string, string> = {}) {
  const response = await upload(api, user, group.id, bytes, name, type, fields);
  if (response.status !== 201) throw new Error(`upload ${name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

describe("upload and download round trip", () => {
  test("a ~300 KB random file over a real socket: stored under a server-made name with its metadata, downloaded byte for byte without Authorization", async () => {
    const server = await listen();
    const http = server.api;
    const sp = server.server.parley;
    const [u, v] = await Promise.all([registerUser(http, "up"), registerUser(http, "down")]);
    const room = await createGroup(http, u, [v.id]);
    const payload = randomBytes(300 * 1024 + 123);
    const before = Date.now();

    const sent = await upload(http, u, room.id, payload, "report.bin", "application/octet-stream", { message: "the report" });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ message: "the report", conversation_id: room.id, sender: u.id });
    expect(sent.body.file).toMatch(/^\/api\/files\/\d+\/download\/\?expires=\d+&signature=[\w-]+$/);
    expect(sent.body.attachment).toMatchObject({ name: "report.bin", size: payload.length, content_type: "application/octet-stream", expired: false });

    // The row: original name, type, size, sha256, times.
    const fileId = (await sp.ctx.db.selectFrom("messages").select("file_id").where("id", "=", sent.body.id).executeTakeFirstOrThrow()).file_id!;
    const row = await sp.ctx.db.selectFrom("files").selectAll().where("id", "=", fileId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      uploader_id: u.id,
      original_name: "report.bin",
      content_type: "application/octet-stream",
      size: payload.length,
      deleted_at: null,
    });
    expect(row.sha256).toBe(sha256Hex(payload));
    expect(row.sha256).toBe(new Bun.CryptoHasher("sha256").update(payload).digest("hex"));
    expect(row.created_at).toBeGreaterThanOrEqual(before);
    expect(row.created_at).toBeLessThanOrEqual(Date.now());
    expect(row.expires_at).toBe(row.created_at + server.config.fileTtlMs);
    expect(sent.body.attachment.expires_at).toBe(new Date(row.expires_at!).toISOString());

    // The bytes on disk, under <data dir>/uploads/<server-made name>.
    expect(uploadsDir(sp)).toBe(join(server.config.dataDir, "uploads"));
    expect(row.storage_name).not.toContain("report");
    expect(readdirSync(uploadsDir(sp))).toEqual([row.storage_name]);
    const onDisk = readFileSync(join(uploadsDir(sp), row.storage_name));
    expect(Buffer.compare(onDisk, Buffer.from(payload))).toBe(0);
    expect(statSync(join(uploadsDir(sp), row.storage_name)).mode & 0o077).toBe(0); // not readable by others

    // The signed URL downloads the same bytes, with no Authorization header at all.
    const response = await checkedFetch(server.server.url + sent.body.file);
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes.length).toBe(payload.length);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(payload))).toBe(0);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(response.headers.get("content-length")).toBe(String(payload.length));
    expect(response.headers.get("etag")).toBe(`"${row.sha256}"`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''report.bin");

    // The other member gets the file's details and a URL that works too.
    const info = await http("GET", `/api/messages/files/${sent.body.id}/`, { token: v.access });
    expect(info.status).toBe(200);
    const again = await checkedFetch(server.server.url + info.body.file_url);
    expect(Buffer.compare(Buffer.from(await again.arrayBuffer()), Buffer.from(payload))).toBe(0);
  });

  test("a file without text is a message; history carries the same signed URL", async () => {
    const sent = await uploadOk(api, alice, "just a file", "note.txt", "text/plain");
    expect(sent.message).toBe("");
    expect(sent.file).toBeString();
    const history = await api("GET", `/api/messages/${group.id}/?limit=1`, { token: bob.access });
    expect(history.body[0]).toMatchObject({ id: sent.id, file: sent.file, attachment: { name: "note.txt", size: 11, content_type: "text/plain" } });
    const got = await download(parley, history.body[0].file);
    expect(got.status).toBe(200);
    expect(new TextDecoder().decode(got.bytes)).toBe("just a file");
  });

  test("the client's file name is never used on disk, even ../../evil.sh", async () => {
    const names = ["../../evil.sh", "..\\..\\evil.bat", "/etc/passwd", "evil.sh", "..", ".", "a\u0000b.txt", "semi;colon\r\nnewline.txt"];
    for (const name of names) {
      const sent = await uploadOk(api, alice, `#!/bin/sh\necho ${name}`, name, "application/x-sh");
      const row = await fileRow(await fileIdOf(sent));
      expect(row.storage_name).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.original_name).not.toContain("/");
      expect(row.original_name).not.toContain("\\");
      // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may be left in the stored name
      expect(row.original_name).not.toMatch(/[\u0000-\u001f]/);
      expect(sent.attachment.name).toBe(row.original_name);
    }
    expect(
      (await fileRow(await fileIdOf((await api("GET", `/api/messages/${group.id}/?limit=${names.length}`, { token: alice.access })).body.at(-1))))
        .original_name,
    ).toBe("evil.sh");
    const dataDirNames = allNames(config.dataDir);
    for (const name of ["evil.sh", "evil.bat", "passwd", "..\\..\\evil.bat"]) expect(dataDirNames).not.toContain(name);
    for (const stored of uploadedFiles(parley)) expect(stored).toMatch(/^[0-9a-f-]{36}$/);
    expect(existsSync(resolve(uploadsDir(parley), "../../evil.sh"))).toBe(false);
    expect(existsSync(resolve(uploadsDir(parley), "../evil.sh"))).toBe(false);
  });
});

describe("GET /api/messages/files/{message_id}/", () => {
  test("members get {file_url, name, size, content_type, expires_at}", async () => {
    const sent = await uploadOk(api, bob, "details please", "details.txt", "text/plain");
    const row = await fileRow(await fileIdOf(sent));
    for (const user of [alice, bob]) {
      const info = await api("GET", `/api/messages/files/${sent.id}/`, { token: user.access });
      expect(info.status).toBe(200);
      expect(Object.keys(info.body).sort()).toEqual(["content_type", "expires_at", "file_url", "name", "size"]);
      expect(info.body).toMatchObject({ name: "details.txt", size: 14, content_type: "text/plain", expires_at: new Date(row.expires_at!).toISOString() });
      expect(info.body.file_url).toStartWith(`/api/files/${row.id}/download/?`);
      const got = await download(parley, info.body.file_url);
      expect(new TextDecoder().decode(got.bytes)).toBe("details please");
    }
  });

  test("anonymous 401, stranger 403, unknown 404, a message without a file 404 — revealing nothing", async () => {
    const sent = await uploadOk(api, bob, "private", "private-name.txt", "text/plain");
    const plain = (await send(api, alice, group.id, { message: "no attachment here" })).body;
    expectRefused(await api("GET", `/api/messages/files/${sent.id}/`), 401, ["private-name"]);
    expectRefused(await api("GET", `/api/messages/files/${sent.id}/`, { token: mallory.access }), 403, ["private-name", "file_url"]);
    expectRefused(await api("GET", `/api/messages/files/9999999/`, { token: alice.access }), 404);
    expectRefused(await api("GET", `/api/messages/files/${plain.id}/`, { token: alice.access }), 404);
    expectRefused(await api("GET", `/api/messages/files/abc/`, { token: alice.access }), 404);
  });
});

describe("download headers", () => {
  const payload = randomBytes(4096);
  let url = "";
  let etag = "";
  beforeAll(async () => {
    const sent = await uploadOk(api, alice, payload, "data.bin", "application/octet-stream");
    url = sent.file;
    etag = `"${sha256Hex(payload)}"`;
  });

  test("ETag, and If-None-Match with it → 304 without a body", async () => {
    const full = await download(parley, url);
    expect(full.status).toBe(200);
    expect(full.headers.get("etag")).toBe(etag);
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    const notModified = await download(parley, url, { "if-none-match": etag });
    expect(notModified.status).toBe(304);
    expect(notModified.bytes.length).toBe(0);
    expect(notModified.headers.get("etag")).toBe(etag);
    const other = await download(parley, url, { "if-none-match": '"something-else"' });
    expect(other.status).toBe(200);
    expect(other.bytes.length).toBe(payload.length);
  });

  test("Range bytes=10-19 → 206 with Content-Range and exactly those bytes", async () => {
    const part = await download(parley, url, { range: "bytes=10-19" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-19/${payload.length}`);
    expect(part.headers.get("content-length")).toBe("10");
    expect([...part.bytes]).toEqual([...payload.subarray(10, 20)]);
  });

  test("suffix and open-ended ranges; an end past the size is clamped", async () => {
    const suffix = await download(parley, url, { range: "bytes=-5" });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get("content-range")).toBe(`bytes ${payload.length - 5}-${payload.length - 1}/${payload.length}`);
    expect([...suffix.bytes]).toEqual([...payload.subarray(payload.length - 5)]);
    const open = await download(parley, url, { range: "bytes=4000-" });
    expect(open.status).toBe(206);
    expect([...open.bytes]).toEqual([...payload.subarray(4000)]);
    const clamped = await download(parley, url, { range: "bytes=4090-999999" });
    expect(clamped.status).toBe(206);
    expect(clamped.headers.get("content-range")).toBe(`bytes 4090-4095/${payload.length}`);
    expect([...clamped.bytes]).toEqual([...payload.subarray(4090)]);
    const first = await download(parley, url, { range: "bytes=0-0" });
    expect([...first.bytes]).toEqual([payload[0]!]);
  });

  test("unsatisfiable ranges → 416 with Content-Range bytes */size", async () => {
    for (const range of [`bytes=${payload.length}-`, "bytes=5000-6000", "bytes=20-10", "bytes=-0", "bytes=abc", "items=0-1"]) {
      const response = await download(parley, url, { range });
      expect(response.status, range).toBe(416);
      expect(response.headers.get("content-range"), range).toBe(`bytes */${payload.length}`);
    }
  });

  test("If-Range: a matching ETag honours the range, another one gets the whole file", async () => {
    const honoured = await download(parley, url, { range: "bytes=0-9", "if-range": etag });
    expect(honoured.status).toBe(206);
    expect(honoured.bytes.length).toBe(10);
    const ignored = await download(parley, url, { range: "bytes=0-9", "if-range": '"stale"' });
    expect(ignored.status).toBe(200);
    expect(ignored.bytes.length).toBe(payload.length);
  });
});

describe("content types and disposition", () => {
  async function served(bytes: Uint8Array<ArrayBuffer> | string, name: string, type: string) {
    const sent = await uploadOk(api, alice, bytes, name, type);
    const response = await download(parley, sent.file);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("sandbox");
    return { sent, response, type: response.headers.get("content-type")!, disposition: response.headers.get("content-disposition")! };
  }

  test("an HTML upload is served as an attachment, never inline", async () => {
    const { type, disposition, response } = await served("<html><script>alert(document.cookie)</script></html>", "page.html", "text/html");
    expect(disposition).toStartWith("attachment;");
    expect(disposition).toContain("page.html");
    expect(type.startsWith("text/html") && !disposition.startsWith("attachment")).toBe(false);
    expect(new TextDecoder().decode(response.bytes)).toContain("<script>");
  });

  test("an SVG is an attachment", async () => {
    const { disposition } = await served('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image.svg", "image/svg+xml");
    expect(disposition).toStartWith("attachment;");
  });

  test("a real PNG is inline as image/png, whatever type the client claimed", async () => {
    for (const claimed of ["image/png", "application/octet-stream"]) {
      const { type, disposition, response, sent } = await served(PNG, "dot.png", claimed);
      expect(type).toBe("image/png");
      expect(disposition).toStartWith("inline;");
      expect(sent.attachment.content_type).toBe("image/png");
      expect([...response.bytes]).toEqual([...PNG]);
    }
  });

  test("something claiming to be a PNG that is not one is an octet-stream attachment", async () => {
    const { type, disposition } = await served("<html>not a png</html>", "fake.png", "image/png");
    expect(type).toBe("application/octet-stream");
    expect(disposition).toStartWith("attachment;");
  });
});

describe("signed URLs", () => {
  test("a tampered signature, another file's signature, an expired or missing signature → 404", async () => {
    const first = await uploadOk(api, alice, "first file", "one.txt", "text/plain");
    const second = await uploadOk(api, alice, "second file", "two.txt", "text/plain");
    const firstId = await fileIdOf(first);
    const secondId = await fileIdOf(second);
    expect((await download(parley, first.file)).status).toBe(200);

    const url = new URL(first.file, "http://localhost");
    const signature = url.searchParams.get("signature")!;
    const expires = url.searchParams.get("expires")!;
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    const refused = [
      `/api/files/${firstId}/download/?expires=${expires}&signature=${flipped}`,
      `/api/files/${firstId}/download/?expires=${expires}&signature=${signature.slice(0, -1)}`,
      `/api/files/${firstId}/download/?expires=${Number(expires) + 60}&signature=${signature}`,
      `/api/files/${secondId}/download/?expires=${expires}&signature=${signature}`,
      parley.ctx.fileUrls.sign(firstId, Date.now() - 2 * 3_600_000),
      `/api/files/${firstId}/download/?expires=${expires}`,
      `/api/files/${firstId}/download/?signature=${signature}`,
      `/api/files/${firstId}/download/`,
      `/api/files/${firstId}/download/?expires=abc&signature=${signature}`,
    ];
    for (const bad of refused) {
      const response = await download(parley, bad);
      expect(response.status, bad).toBe(404);
      expect(new TextDecoder().decode(response.bytes), bad).not.toContain("first file");
    }
    // A freshly signed URL for the second file works, and only for it.
    const fresh = parley.ctx.fileUrls.sign(secondId);
    expect(new TextDecoder().decode((await download(parley, fresh)).bytes)).toBe("second file");
  });

  test("the signature is checked by the server's own key: a URL from another server's key is refused", async () => {
    const sent = await uploadOk(api, alice, "keyed", "keyed.txt", "text/plain");
    const other = await makeApp();
    const forged = other.parley.ctx.fileUrls.sign(await fileIdOf(sent));
    expect((await download(parley, forged)).status).toBe(404);
  });
});

describe("the upload limit (PARLEY_MAX_UPLOAD_BYTES) → 413, nothing stored", () => {
  async function expectNothingStored(parley: Parley, before: Awaited<ReturnType<typeof counts>>, filesBefore: string[]) {
    expect(await counts(parley)).toEqual(before);
    expect(uploadedFiles(parley)).toEqual(filesBefore);
  }

  test("via app.handle with a multipart body whose file is bigger", async () => {
    const small = await makeApp({ maxUploadBytes: 1024 });
    const user = await registerUser(small.api, "limit");
    const room = await createGroup(small.api, user);
    const before = await counts(small.parley);
    const filesBefore = uploadedFiles(small.parley);
    for (const size of [1025, 4096, 200 * 1024]) {
      const response = await upload(small.api, user, room.id, randomBytes(size), "big.bin", "application/octet-stream", { message: "too big" });
      expect(response.status, String(size)).toBe(413);
      expect(response.body.code).toBe("payload_too_large");
      await expectNothingStored(small.parley, before, filesBefore);
    }
    const fits = await upload(small.api, user, room.id, randomBytes(1024), "fits.bin");
    expect(fits.status).toBe(201);
    expect(uploadedFiles(small.parley)).toHaveLength(1);
  });

  test("over a real socket", async () => {
    const server = await listen({ maxUploadBytes: 1024 });
    const sp = server.server.parley;
    const user = await registerUser(server.api, "socket-limit");
    const room = await createGroup(server.api, user);
    const before = await counts(sp);
    const filesBefore = uploadedFiles(sp);
    // Just over the limit (Bun's socket limit leaves room for the multipart framing; the service refuses it),
    // and far over it (refused by its Content-Length before the body is read).
    for (const size of [1025, 2000, 300 * 1024]) {
      const response = await upload(server.api, user, room.id, randomBytes(size), "big.bin", "application/octet-stream", { message: "too big" });
      expect(response.status, String(size)).toBe(413);
      await expectNothingStored(sp, before, filesBefore);
    }
    // A chunked body without Content-Length is held to the limit too.
    const body = new Response(form({ message: "chunked", file: [new Blob([randomBytes(300 * 1024)]), "chunked.bin"] }));
    const contentType = body.headers.get("content-type")!;
    const stream = body.body!;
    const chunked = await checkedFetch(`${server.server.url}/api/messages/${room.id}/send/`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.access}`, "content-type": contentType },
      body: stream,
    });
    expect(chunked.status).toBe(413);
    await expectNothingStored(sp, before, filesBefore);

    const fits = await upload(server.api, user, room.id, randomBytes(1000), "fits.bin");
    expect(fits.status).toBe(201);
  });
});

describe("a failed request leaves no row and no orphan file", () => {
  test("refused sends with a file store neither rows nor bytes", async () => {
    const before = await counts(parley);
    const filesBefore = uploadedFiles(parley);
    const attempts: [string, () => Promise<ApiResponse>, number][] = [
      ["stranger", () => upload(api, mallory, group.id, "x", "x.txt", "text/plain"), 403],
      ["stranger via receiver_group", () => upload(api, mallory, 0, "x", "x.txt", "text/plain", { receiver_group: String(group.id) }), 403],
      ["anonymous", () => upload(api, undefined, group.id, "x", "x.txt", "text/plain"), 401],
      ["both receivers", () => upload(api, alice, 0, "x", "x.txt", "text/plain", { receiver_user: String(bob.id), receiver_group: String(group.id) }), 400],
      ["unknown receiver_user", () => upload(api, alice, 0, "x", "x.txt", "text/plain", { receiver_user: "9999999" }), 400],
      ["unknown conversation", () => upload(api, alice, 9_999_999, "x", "x.txt", "text/plain"), 404],
      ["empty file, no text", () => upload(api, alice, group.id, "", "empty.txt", "text/plain"), 400],
      ["text too long", () => upload(api, alice, group.id, "x", "x.txt", "text/plain", { message: "y".repeat(10_001) }), 400],
      ["NUL in text", () => upload(api, alice, group.id, "x", "x.txt", "text/plain", { message: "a\u0000b" }), 400],
    ];
    for (const [label, attempt, status] of attempts) {
      const response = await attempt();
      expect(response.status, label).toBe(status);
      expect(await counts(parley), label).toEqual(before);
      expect(uploadedFiles(parley), label).toEqual(filesBefore);
    }
  });

  test("a database failure after the bytes were written removes them again", async () => {
    // The database refuses the row (a trigger on SQLite, a constraint on PostgreSQL): the send fails after its bytes were written.
    const onPostgres = parley.database.kind === "postgres";
    await queryRows(
      parley,
      onPostgres
        ? "ALTER TABLE messages ADD CONSTRAINT refuse_boom CHECK (body <> 'boom') NOT VALID"
        : "CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON messages WHEN NEW.body = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END",
    );
    try {
      const before = await counts(parley);
      const filesBefore = uploadedFiles(parley);
      const response = await upload(api, alice, group.id, randomBytes(2048), "doomed.bin", "application/octet-stream", { message: "boom" });
      expect(response.status).toBe(500);
      expect(JSON.stringify(response.body)).not.toMatch(/trigger|refuse_boom/);
      expect(await counts(parley)).toEqual(before);
      expect(uploadedFiles(parley)).toEqual(filesBefore);
    } finally {
      await queryRows(parley, onPostgres ? "ALTER TABLE messages DROP CONSTRAINT refuse_boom" : "DROP TRIGGER IF EXISTS temp.refuse_boom");
    }
    expect((await upload(api, alice, group.id, "fine", "fine.txt", "text/plain", { message: "boom" })).status).toBe(201);
  });
});
