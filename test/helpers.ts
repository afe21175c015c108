// Small helpers shared by the tests: a fresh app on a temp data dir, a JSON client, registered users.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "bun:test";
import { CompiledQuery } from "kysely";
import { createApp, type Parley } from "../src/app";
import { loadConfig, type Config } from "../src/config";
import { startServer, type RunningServer } from "../src/server";
import { checkResponse } from "./contract";
import { onPostgres, postgresDatabaseFor } from "./test-database";

/** A temp data dir, removed when the test file ends. */
export function tempDir(prefix = "parley-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Rate limits that tests (many users from one address, quick sends) never reach; the rate-limit tests (test/lib/rate-limit-*.test.ts) set their own. */
const plenty = { capacity: 1_000_000, periodMs: 1_000 };
export const GENEROUS_LIMITS: Partial<Config> = {
  limitLoginIp: plenty,
  limitLoginAccount: plenty,
  limitRegisterIp: plenty,
  limitRegisterAccount: plenty,
  limitRefreshIp: plenty,
  limitRefreshAccount: plenty,
  limitSend: plenty,
  limitUploadBytes: { capacity: 1024 ** 4, periodMs: 1_000 },
  limitSearch: plenty,
  limitWebhook: plenty,
};

/**
 * Configuration for tests: temp data dir, free port, cheap password hashing, quiet logs, generous rate limits; and,
 * when the suite runs on PostgreSQL (test-database.ts), a fresh database of its own.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = overrides.dataDir ?? tempDir();
  const databaseUrl = onPostgres ? postgresDatabaseFor(dataDir) : null;
  return loadConfig(
    [],
    {},
    {
      dataDir,
      databaseUrl,
      databasePoolSize: 3,
      readWorkers: 1, // each worker loads the services from source: one per test app
      port: 0,
      host: "127.0.0.1",
      passwordMemoryKib: 1024,
      passwordTimeCost: 1,
      logLevel: "silent",
      ...GENEROUS_LIMITS,
      ...overrides,
    },
  );
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export type Api = (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse>;

function buildRequest(base: string, method: string, path: string, { body, token, headers = {} }: RequestOptions = {}): Request {
  const init: RequestInit = { method, headers: { ...headers } };
  if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
  if (body instanceof FormData || typeof body === "string") init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  return new Request(base + path, init);
}

/** Reads a response, and fails the test unless the OpenAPI document describes it (test/contract.ts). */
async function readResponse(request: Request, response: Response, fetchDocument: () => Promise<Response>): Promise<ApiResponse> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  await checkResponse(fetchDocument, request.method, request.url, response.status, response.headers, body, text);
  return { status: response.status, body, headers: response.headers };
}

/** An API client calling app.handle() directly (no socket). */
export function handleClient(parley: Parley): Api {
  const fetchDocument = () => parley.app.handle(new Request("http://localhost/swagger/json"));
  return async (method, path, options) => {
    const request = buildRequest("http://localhost", method, path, options);
    return readResponse(request, await parley.app.handle(request), fetchDocument);
  };
}

/** An API client over a real HTTP connection. */
export function httpClient(url: string): Api {
  const fetchDocument = () => fetch(`${url}/swagger/json`);
  return async (method, path, options) => {
    const request = buildRequest(url, method, path, options);
    return readResponse(request, await fetch(request), fetchDocument);
  };
}

/** fetch, for tests that need the raw Response (bytes, streams, the typed client): checked against the document too. */
export async function checkedFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const response = await fetch(request);
  const text = await response.clone().text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  await checkResponse(() => fetch(`${new URL(request.url).origin}/swagger/json`), request.method, request.url, response.status, response.headers, body, text);
  return response;
}

/** A fresh app on a temp data dir, closed when the test file ends. */
export async function makeApp(overrides: Partial<Config> = {}): Promise<{ parley: Parley; api: Api; config: Config }> {
  const config = testConfig(overrides);
  const parley = await createApp(config);
  afterAll(() => parley.close());
  return { parley, api: handleClient(parley), config };
}

/** A listening server on a free port, stopped when the test file ends. */
export async function listen(overrides: Partial<Config> = {}): Promise<{ server: RunningServer; api: Api; config: Config }> {
  const config = testConfig(overrides);
  const server = await startServer(config);
  afterAll(() => server.stop());
  return { server, api: httpClient(server.url), config };
}

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
}

let userCounter = 0;

/** Registers and logs in a user named `name` (made unique per call). */
export async function registerUser(api: Api, name = "user", extra: Record<string, string> = {}): Promise<TestUser> {
  const username = `${name}${++userCounter}`;
  const email = `${username}@example.com`;
  const password = "correct horse battery";
  const reg = await api("POST", "/api/register/", { body: { username, email, password, first_name: name, last_name: "Test", ...extra } });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await api("POST", "/api/login/", { body: { email, password } });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: reg.body.user.id, username, email, password, access: login.body.access, refresh: login.body.refresh };
}

import { createHmac } from "node:crypto";

/** A JWT signed by hand (no library): for tokens the app must refuse, or valid ones with chosen claims. */
export function signJwt(
  payload: Record<string, unknown>,
  secret: string,
  alg: "HS256" | "HS384" | "HS512" | "none" = "HS256",
  header: Record<string, unknown> = {},
): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ alg, typ: "JWT", ...header })}.${part(payload)}`;
  if (alg === "none") return `${input}.`;
  return `${input}.${createHmac(`sha${alg.slice(2)}`, secret)
    .update(input)
    .digest("base64url")}`;
}

/** A JWT's header and payload, unverified. */
export function decodeJwt(token: string): { header: Record<string, any>; payload: Record<string, any> } {
  const [header, payload] = token.split(".", 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")));
  return { header, payload };
}

/**
 * Runs SQL written for the test's eyes (`?` placeholders) on the app's database, whichever it is: rows in and out
 * for checks that the API does not show (bytes stored, rows left behind), and for ageing rows.
 */
export async function queryRows<T = any>(parley: Parley, text: string, params: unknown[] = []): Promise<T[]> {
  let n = 0;
  const statement = parley.database.kind === "postgres" ? text.replace(/\?/g, () => `$${++n}`) : text;
  return (await parley.database.db.executeQuery<T>(CompiledQuery.raw(statement, params))).rows;
}
