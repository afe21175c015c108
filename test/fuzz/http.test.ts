// HTTP fuzzing: for every operation of the OpenAPI document, requests built from its schemas, valid and subtly broken
// (wrong types, huge and empty strings, NUL, lone surrogates, RTL, emoji, deep JSON, duplicate keys, odd content types
// and charsets, malformed multipart, ids out of range), as a member, as staff and anonymously, over a real socket.
// Never a 5xx, every answer as the document describes it, and afterwards the database is sound (fuzz-helpers.ts).
// Seeded and bounded for `npm test`; FUZZ_RUNS=n (and FUZZ_SEED) for a longer run.
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { checkResponse } from "../contract";
import { createGroup, directWith, makeStaff, sendText, upload } from "../chat-helpers";
import { listen, registerUser, type TestUser } from "../helpers";
import {
  deepArray,
  deepObject,
  fuzzParameters,
  fuzzRuns,
  fuzzTimeout,
  invariantViolations,
  NASTY_STRINGS,
  nastyValue,
  percentEncode,
  resolve,
  validOrBroken,
} from "./fuzz-helpers";

type Json = Record<string, any>;

const { server, api, config } = await listen();
const doc: Json = await (await fetch(`${server.url}/swagger/json`)).json();
const fetchDocument = () => fetch(`${server.url}/swagger/json`);

let member: TestUser;
let staff: TestUser;
const known: Record<string, number[]> = {};

beforeAll(async () => {
  member = await registerUser(api, "fuzzer");
  staff = await registerUser(api, "fuzzstaff");
  await makeStaff(server.parley, staff.id);
  const victims = [await registerUser(api, "victim"), await registerUser(api, "victim")];
  const group = await createGroup(api, member, [victims[0]!.id]);
  const theirs = await createGroup(api, staff);
  const direct = await directWith(api, member, victims[0]!);
  const message = await sendText(api, member, group.id, "a message to fuzz around");
  const other = await sendText(api, member, direct, "another");
  const file = await upload(api, member, group.id, new TextEncoder().encode("file bytes"), "notes.txt", "text/plain");
  expect(file.status).toBe(201);
  const users = victims.map((v) => v.id);
  Object.assign(known, {
    conversation_id: [group.id, direct, theirs.id],
    group_id: [group.id, theirs.id],
    receiver_group: [group.id],
    message_id: [message.id, other.id, file.body.id],
    reply_to: [message.id],
    user_id: users,
    receiver_user: users,
    members: users,
    file_id: [file.body.file.id],
  });
}, 60_000);

const idsFor = (name: string) => known[name] ?? [];

/** Path segments for an id parameter: a real one, or one out of range or not a number at all. */
const OUT_OF_RANGE = [
  "0",
  "-1",
  "9007199254740992",
  "9007199254740993",
  "18446744073709551616",
  "1e309",
  "1.5",
  "abc",
  "NaN",
  "Infinity",
  "-0",
  "0x10",
  "+1",
  "%201",
  "%00",
  "%EF%BC%91",
  "1".repeat(400),
  "%F0%9F%98%80",
];
const pathValue = (name: string) =>
  name === "emoji"
    ? fc.oneof(fc.constantFrom("%F0%9F%91%8D", "x"), fc.constantFrom(...NASTY_STRINGS.slice(0, 12)).map(percentEncode))
    : fc.oneof(fc.constantFrom(...idsFor(name).map(String), "999999"), fc.constantFrom(...OUT_OF_RANGE));

const queryValue = (doc: Json, schema: Json, name: string) =>
  fc.oneof(
    validOrBroken(doc, schema, idsFor).map((v) => percentEncode(typeof v === "string" ? v : (JSON.stringify(v) ?? ""))),
    fc.constantFrom("%", "%ZZ", "%FF%FE", "%C0%80", "%ED%A0%80", "a&b=c", `x${"%20".repeat(3000)}`),
    fc.constant(`${name}`),
  );

interface Wire {
  body?: string | Uint8Array | FormData;
  contentType?: string;
}

/** The body of a request in one of the ways clients (and attackers) send one. */
function encodings(value: unknown): fc.Arbitrary<Wire> {
  const json = JSON.stringify(value) ?? "null";
  const flat = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
  const entries = typeof value === "object" && value !== null && !Array.isArray(value) ? Object.entries(value) : [["value", value] as const];
  const form = () => {
    const data = new FormData();
    for (const [k, v] of entries) data.append(k, flat(v));
    return data;
  };
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({ body: json, contentType: "application/json" }) },
    fc.constant({ body: new URLSearchParams(entries.map(([k, v]) => [k, flat(v)])).toString(), contentType: "application/x-www-form-urlencoded" }),
    fc.constant({ body: form() }),
    fc.constantFrom(
      // duplicate keys: the last wins in JSON.parse, a different parser might take the first
      { body: json.startsWith("{") && json.length > 2 ? `${json.slice(0, -1)},${json.slice(1)}` : '{"a":1,"a":2}', contentType: "application/json" },
      { body: deepArray(100_000), contentType: "application/json" },
      { body: deepObject(50_000), contentType: "application/json" },
      { body: json.slice(0, Math.max(1, json.length - 2)), contentType: "application/json" },
      { body: json, contentType: "application/json; charset=utf-16" },
      { body: json, contentType: "application/json; charset=latin1" },
      { body: json, contentType: "application/json; charset=bogus; boundary=" },
      { body: json, contentType: "text/plain" },
      { body: json, contentType: "application/xml" },
      { body: json, contentType: "" },
      { body: json },
      { body: json, contentType: "application/json, text/html" },
      { body: json, contentType: "application/vnd.api+json" },
      { body: json, contentType: "*/*" },
      { body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x22, 0x7d]), contentType: "application/json" },
      { body: new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(json)]), contentType: "application/json" },
      { body: new Uint8Array([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]), contentType: "application/json" },
      { body: "", contentType: "application/json" },
      { body: "null", contentType: "application/json" },
      { body: "a=%&b=%ZZ&=&&c", contentType: "application/x-www-form-urlencoded" },
      { body: '--X\r\nContent-Disposition: form-data; name="message"\r\n\r\nunterminated', contentType: "multipart/form-data; boundary=X" },
      { body: "--X\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--X--\r\n", contentType: "multipart/form-data; boundary=X" },
      { body: "garbage without any boundary", contentType: "multipart/form-data" },
      { body: "--X--\r\n", contentType: "multipart/form-data; boundary=" },
      {
        body: '--X\r\nContent-Disposition: form-data; name="file"; filename="../../x\u0000.txt"\r\nContent-Type: text/plain\r\n\r\nbytes\r\n--X--\r\n',
        contentType: "multipart/form-data; boundary=X",
      },
      { body: `--${"B".repeat(200)}\r\n\r\n`, contentType: `multipart/form-data; boundary=${"B".repeat(200)}` },
    ),
  );
}

interface Operation {
  method: string;
  path: string;
  spec: Json;
}

const operations: Operation[] = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json).map(([method, spec]) => ({ method: method.toUpperCase(), path, spec })),
);

function requestFor(op: Operation) {
  const parameters = (op.spec.parameters ?? []) as Json[];
  const pathParams = parameters.filter((p) => p.in === "path");
  const queryParams = parameters.filter((p) => p.in === "query");
  const bodySchema = op.spec.requestBody?.content?.["application/json"]?.schema;
  return fc.record({
    as: fc.constantFrom("member", "member", "staff", "anonymous", "bad token"),
    path: fc.tuple(...pathParams.map((p) => pathValue(p.name).map((v) => [p.name, v] as const))),
    query: fc.tuple(...queryParams.map((p) => fc.option(queryValue(doc, p.schema ?? {}, p.name), { freq: 2 }).map((v) => [p.name, v] as const))),
    body: bodySchema
      ? validOrBroken(doc, bodySchema, idsFor).chain(encodings)
      : fc.option(fc.constantFrom<Wire>({ body: "{}", contentType: "application/json" }, { body: "x".repeat(70_000), contentType: "text/plain" }), { freq: 4 }),
  });
}

async function perform(
  op: Operation,
  input: { as: string; path: (readonly [string, string])[]; query: (readonly [string, string | null])[]; body: Wire | null },
) {
  let path = op.path;
  for (const [name, value] of input.path) path = path.replace(`{${name}}`, value);
  const query = input.query.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  const url = `${server.url}${path}${query.length ? `?${query.join("&")}` : ""}`;
  const headers: Record<string, string> = {};
  if (input.as === "member") headers.authorization = `Bearer ${member.access}`;
  if (input.as === "staff") headers.authorization = `Bearer ${staff.access}`;
  if (input.as === "bad token") headers.authorization = `Bearer ${member.access.slice(0, -3)}\u00e9\u00e9\u00e9`;
  if (input.body?.contentType !== undefined) headers["content-type"] = input.body.contentType;
  const response = await fetch(url, { method: op.method, headers, body: op.method === "GET" ? undefined : (input.body?.body as BodyInit | undefined) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  const where = `${op.method} ${url.slice(0, 200)}${url.length > 200 ? `… (${url.length} characters)` : ""} as ${input.as} (${input.body?.contentType ?? "no type"}): ${response.status} ${text.slice(0, 300)}`;
  if (response.status >= 500) throw new Error(`5xx: ${where}`);
  await checkResponse(fetchDocument, op.method, url, response.status, response.headers, body, text).catch((error) => {
    throw new Error(`${(error as Error).message.slice(0, 600)} — for ${where}`);
  });
}

async function relogin(user: TestUser): Promise<TestUser> {
  const login = await api("POST", "/api/login/", { body: { email: user.email, password: user.password } });
  expect(login.status).toBe(200);
  return { ...user, access: login.body.access, refresh: login.body.refresh };
}

describe("every operation of the OpenAPI document, fuzzed: no 5xx, every answer as documented", () => {
  test("the document lists the operations the fuzzer covers", () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(operations.filter((op) => op.spec.requestBody).length).toBeGreaterThan(15);
  });
  for (const op of operations) {
    test(
      `${op.method} ${op.path}`,
      async () => {
        await fc.assert(
          fc.asyncProperty(requestFor(op), (input) => perform(op, input)),
          fuzzParameters(fuzzRuns(op.spec.requestBody ? 40 : 20)),
        );
        // Log out everywhere ends the actors' sessions by design: they log in again.
        if (op.path === "/api/logout/all/") {
          member = await relogin(member);
          staff = await relogin(staff);
        }
        // The actors still work: the fuzzer did not lock itself out (a quietly broken session would hide findings).
        const me = await api("GET", "/api/users/protected/", { token: member.access });
        expect(me.status, JSON.stringify(me.body)).toBe(200);
      },
      fuzzTimeout(20_000),
    );
  }
});

describe("the request line and headers themselves", () => {
  test("unknown methods, odd paths and hostile headers", async () => {
    const paths = [
      "/api/",
      "/api//messages//",
      "/api/messages/1/../../users/protected/",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/api/%FF/",
      `/api/${"a/".repeat(2000)}`,
      "/api/messages/1/?a=1&a=2&a[]=3",
    ];
    const arbitrary = fc.record({
      method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "TRACE", "PROPFIND"),
      path: fc.constantFrom(...paths),
      header: fc.constantFrom<[string, string]>(
        ["authorization", "Bearer"],
        ["authorization", "Basic Zm9vOmJhcg=="],
        ["authorization", `Bearer ${"a".repeat(8000)}`],
        ["authorization", "Bearer a.b.c"],
        ["x-request-id", "\u00ff".repeat(100)],
        ["x-forwarded-for", "1.2.3.4, not an ip, ::1"],
        ["content-length", "0"],
        ["accept", "application/xml"],
        ["accept-encoding", "br, gzip, deflate, zstd"],
        ["range", "bytes=-1-2,5-"],
        ["if-none-match", `"${"x".repeat(5000)}`],
      ),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ method, path, header }) => {
        const response = await fetch(`${server.url}${path}`, { method, headers: { [header[0]]: header[1] } });
        const text = await response.text();
        expect(response.status, `${method} ${path.slice(0, 80)} ${header[0]}: ${text.slice(0, 200)}`).toBeLessThan(500);
      }),
      fuzzParameters(fuzzRuns(40)),
    );
  });

  test("nasty values as whole JSON bodies to every operation that takes one", async () => {
    const withBody = operations.filter((op) => op.spec.requestBody && !op.path.includes("{"));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withBody), nastyValue, async (op, value) => {
        await perform(op, { as: "member", path: [], query: [], body: { body: JSON.stringify(value) ?? "null", contentType: "application/json" } });
      }),
      fuzzParameters(fuzzRuns(40)),
    );
  });
});

describe("afterwards", () => {
  test("the database is sound: integrity, no orphans, seqs unique and in order, files and rows agree", async () => {
    expect(await invariantViolations(server.parley, config.dataDir)).toEqual([]);
  });
  test("the server still answers", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(resolve(doc, { $ref: "#/components/schemas/Error" }).type).toBe("object");
  });
});
