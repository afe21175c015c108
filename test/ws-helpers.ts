// A WebSocket test client: collects every frame, and awaits the next frame matching a predicate. Every frame received
// and every close code is checked against the AsyncAPI document (/asyncapi.json): one it does not describe fails the test.
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { asyncApiDocument, CLOSE_CODES } from "../src/modules/docs/asyncapi";

export interface Frame {
  type?: string;
  conversation_id?: number;
  seq?: number;
  ref?: string | number;
  data?: any;
  [key: string]: unknown;
}

export interface TestSocket {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the first frame (already received or future) after `from` that matches; rejects after `timeoutMs`. */
  next(match?: string | ((f: Frame) => boolean), timeoutMs?: number): Promise<Frame>;
  /** Like next(), but also finds a frame that arrived before earlier next() calls moved past it. */
  seen(match: string | ((f: Frame) => boolean), timeoutMs?: number): Promise<Frame>;
  send(frame: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function wsUrl(httpUrl: string, path: string, token?: string, query: Record<string, string> = {}): string {
  const url = new URL(path, httpUrl.replace(/^http/, "ws"));
  if (token) url.searchParams.set("token", token);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}

type Json = Record<string, any>;

/** The document as the tests hold the server to it: an object may carry no property the document does not name. */
function closedWorld(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closedWorld);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Json = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, closedWorld(v)]));
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

let serverFrames: Map<string, Map<string, () => ValidateFunction>> | undefined;

/** For each channel address, the frames the server may send on it, by `type` ("" for the legacy frames, which have none), compiled on first use. */
function frameChecks(): Map<string, Map<string, () => ValidateFunction>> {
  if (serverFrames) return serverFrames;
  const doc = asyncApiDocument() as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const components = closedWorld(doc.components);
  const payloads = new Map<string, Map<string, unknown[]>>();
  for (const operation of Object.values(doc.operations as Record<string, Json>)) {
    if (operation.action !== "send") continue;
    const channel = doc.channels[operation.channel.$ref.split("/").at(-1)];
    const byType = payloads.get(channel.address) ?? payloads.set(channel.address, new Map()).get(channel.address)!;
    for (const { $ref } of operation.messages) {
      const payload = doc.components.messages[channel.messages[$ref.split("/").at(-1)].$ref.split("/").at(-1)].payload;
      const type = payload.properties.type?.const ?? "";
      byType.set(type, [...(byType.get(type) ?? []), closedWorld(payload)]);
    }
  }
  const lazily = (list: unknown[]) => {
    let check: ValidateFunction | undefined;
    return () => (check ??= ajv.compile({ anyOf: list, components }));
  };
  serverFrames = new Map([...payloads].map(([address, byType]) => [address, new Map([...byType].map(([type, list]) => [type, lazily(list)]))]));
  return serverFrames;
}

/** Why the document does not describe this frame from the server on `path`, or null when it does. */
export function undescribedFrame(path: string, frame: unknown): string | null {
  const address = path === "/ws" ? "/ws" : /^\/ws\/chat\/\d+\/$/.test(path) ? "/ws/chat/{id}/" : null;
  const checks = address === null ? undefined : frameChecks().get(address);
  if (!checks) return `no channel at ${path}`;
  const type = (frame as Frame)?.type;
  const check = checks.get(typeof type === "string" ? type : "")?.();
  if (!check) return `no frame of type ${JSON.stringify(type)} on ${address}`;
  return check(frame)
    ? null
    : `${address} ${JSON.stringify(type ?? "")}: ${check.errors?.map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`).join("; ")}`;
}

/** Close codes a socket may see: the document's, and 1005 (a close frame without a code). */
const describedCloseCodes = new Set<number>([...CLOSE_CODES.map((c) => c.code), 1005]);

/** Opens a socket and waits until it is open (or rejects with the HTTP status of a refused upgrade). */
export function openSocket(url: string, options: { headers?: Record<string, string> } = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.headers ? ({ headers: options.headers } as never) : undefined);
    const frames: Frame[] = [];
    const waiters: Array<() => void> = [];
    let resolveClosed!: (v: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
    let cursor = 0;
    /** Resolves with what `find` finds, now or after a later frame; rejects on close or after `timeoutMs`. */
    const awaitFrame = (find: () => Frame | undefined, match: unknown, timeoutMs: number, got: () => string) =>
      new Promise<Frame>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no frame matching ${String(match)} within ${timeoutMs} ms; got ${got()}`)), timeoutMs);
        const check = () => {
          const found = find();
          if (found) {
            clearTimeout(timer);
            return res(found);
          }
          if (ws.readyState === WebSocket.CLOSED) {
            clearTimeout(timer);
            return rej(new Error(`socket closed before a frame matching ${String(match)}`));
          }
          waiters.push(check);
        };
        check();
      });
    const path = new URL(url).pathname;
    ws.onmessage = (event) => {
      const frame = JSON.parse(String(event.data));
      frames.push(frame);
      for (const w of waiters.splice(0)) w();
      const why = undescribedFrame(path, frame);
      if (why) throw new Error(`a frame /asyncapi.json does not describe: ${why}; frame: ${String(event.data).slice(0, 500)}`);
    };
    ws.onclose = (event) => {
      resolveClosed({ code: event.code, reason: event.reason });
      for (const w of waiters.splice(0)) w();
      if (!describedCloseCodes.has(event.code)) throw new Error(`a close code /asyncapi.json does not describe: ${event.code} ${event.reason}`);
    };
    ws.onerror = () => reject(new Error(`websocket error for ${url}`));
    ws.onopen = () =>
      resolve({
        ws,
        frames,
        closed,
        send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
        close: async () => {
          ws.close();
          await closed;
        },
        seen(match, timeoutMs = 3000) {
          const test = typeof match === "string" ? (f: Frame) => f.type === match : match;
          return awaitFrame(
            () => frames.find(test),
            match,
            timeoutMs,
            () => JSON.stringify(frames),
          );
        },
        next(match, timeoutMs = 3000) {
          const test = typeof match === "string" ? (f: Frame) => f.type === match : (match ?? (() => true));
          const advance = () => {
            while (cursor < frames.length) {
              const frame = frames[cursor++]!;
              if (test(frame)) return frame;
            }
            return undefined;
          };
          return awaitFrame(advance, match, timeoutMs, () => JSON.stringify(frames.slice(cursor)));
        },
      });
  });
}

/** The HTTP status of a refused upgrade (the request is made with fetch, as a WebSocket client would). */
export async function upgradeStatus(httpUrl: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(new URL(path, httpUrl), {
    headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers },
  });
  await response.body?.cancel();
  return response.status;
}

/** The raw HTTP request that upgrades `path` (for a TCP socket that speaks WebSocket by hand). */
export const rawUpgradeRequest = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** A socket of `token` on `path` (by default /ws, resuming after `since` when given), past its hello frame on /ws. */
export async function connect(httpUrl: string, token: string, { since, path = "/ws" }: { since?: number; path?: string } = {}): Promise<TestSocket> {
  const socket = await openSocket(wsUrl(httpUrl, path, token, since === undefined ? {} : { since: String(since) }));
  if (path === "/ws") await socket.next("hello");
  return socket;
}

/** The next `count` frames of `type` a socket receives. */
export async function nextFrames(socket: TestSocket, type: string, count: number): Promise<Frame[]> {
  const frames: Frame[] = [];
  while (frames.length < count) frames.push(await socket.next(type));
  return frames;
}

/** Matches the message.created frame of a message with this text. */
export const createdWith = (text: string) => (f: Frame) => f.type === "message.created" && f.data?.message === text;

/** Matches the presence frame saying this user went `status`. */
export const presenceFrame = (userId: number, status: string) => (f: Frame) => f.type === "presence" && f.data.user_id === userId && f.data.status === status;
