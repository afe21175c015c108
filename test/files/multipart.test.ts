// Multipart bodies are read only on the routes that take files, and only after the token is checked: anything else
// is answered before the body is even sent (over a real socket), and a file route takes a bounded number of parts.
import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { createGroup, form } from "../chat-helpers";
import { checkedFetch, listen, registerUser } from "../helpers";

const { server, api } = await listen();
const owner = await registerUser(api, "uploader");
const group = await createGroup(api, owner);

const BOUNDARY = "----parley-test-boundary";
const TINY_PART = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n`;
/** What the attack sent: 25 MiB of ~60-byte parts (about 430k of them). */
const DECLARED_LENGTH = 25 * 1024 * 1024;

/**
 * Sends the headers of a 25 MiB many-part body and its first 64 KiB only, and resolves with the answer — which can
 * come only if the server decided without reading the body (it never gets the rest). Rejects after `timeoutMs`.
 */
function answerWithoutBody(path: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(server.url);
  const head = [
    `POST ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
    `Content-Length: ${DECLARED_LENGTH}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join("\r\n");
  const firstChunk = TINY_PART.repeat(Math.floor(65_536 / TINY_PART.length));
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms while the body was unsent: the server waited for it`));
    }, timeoutMs);
    socket.on("error", () => {}); // the server may close the connection once it answered
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      const header = received.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(header)?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(header.split(" ")[1]), body: JSON.parse(received.subarray(end + 4, end + 4 + length).toString("utf8")) });
    });
    socket.write(`${head}\r\n\r\n${firstChunk}`);
  });
}

describe("multipart bodies are refused before they are read", () => {
  test("on routes that take no files (anonymous or not): 415 in the API's error shape", async () => {
    for (const [path, token] of [
      ["/api/register/", undefined],
      ["/api/login/", undefined],
      ["/api/token/refresh/", undefined],
      ["/api/groups/create/", owner.access],
    ] as const) {
      const answer = await answerWithoutBody(path, token ? { Authorization: `Bearer ${token}` } : {});
      expect(answer.status, path).toBe(415);
      expect(answer.body, path).toEqual({
        detail: "This endpoint takes no files: send JSON or a form-encoded body.",
        error: "This endpoint takes no files: send JSON or a form-encoded body.",
        code: "unsupported_media_type",
      });
    }
  });

  test("on the file route without a valid token: 401, whatever the token's fault", async () => {
    const path = `/api/messages/${group.id}/send/`;
    for (const authorization of [undefined, "Bearer not.a.token", `Bearer ${owner.refresh}`, "Basic dXNlcjpwYXNz"]) {
      const answer = await answerWithoutBody(path, authorization ? { Authorization: authorization } : {});
      expect(answer.status, authorization).toBe(401);
      expect(answer.body.code, authorization).toMatch(/^(not_authenticated|token_not_valid)$/);
    }
  });

  test("the whole 25 MiB many-part body sent anonymously is refused, and the server stays usable", async () => {
    const body = `${TINY_PART.repeat(Math.floor(DECLARED_LENGTH / TINY_PART.length) - 1)}--${BOUNDARY}--\r\n`;
    const headers = { "content-type": `multipart/form-data; boundary=${BOUNDARY}` };
    const register = await checkedFetch(`${server.url}/api/register/`, { method: "POST", body, headers });
    expect(register.status).toBe(415);
    const send = await checkedFetch(`${server.url}/api/messages/${group.id}/send/`, {
      method: "POST",
      body,
      headers: { ...headers, authorization: "Bearer not.a.token" },
    });
    expect(send.status).toBe(401);
    expect((await checkedFetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe("the file route with a valid token", () => {
  const sendForm = (data: FormData) => api("POST", `/api/messages/${group.id}/send/`, { token: owner.access, body: data });

  test("takes a file with its fields", async () => {
    const sent = await sendForm(form({ message: "with a file", client_id: "multipart-1", file: [new Blob(["file bytes"]), "a.txt"] }));
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ message: "with a file", client_id: "multipart-1" });
    expect(sent.body.attachment).toMatchObject({ name: "a.txt", size: 10 });
  });

  test("refuses more than 16 parts with 400, storing nothing", async () => {
    const data = form({ message: "too many parts", file: [new Blob(["x"]), "x.txt"] });
    for (let i = 0; i < 15; i++) data.append(`extra${i}`, "x");
    const refused = await sendForm(data);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: "bad_request", detail: "A multipart body may have at most 16 parts." });
    const history = await api("GET", `/api/messages/${group.id}/`, { token: owner.access });
    expect(history.body.map((m: { message: string }) => m.message)).not.toContain("too many parts");

    data.delete("extra14");
    expect((await sendForm(data)).status).toBe(201); // 16 parts
  });

  test("a field named __proto__ does not reach the body's prototype", async () => {
    const data = form({ message: "prototype safe" });
    data.append("__proto__", "polluted");
    const sent = await sendForm(data);
    expect(sent.status).toBe(201);
    expect(sent.body.message).toBe("prototype safe");
  });
});
