// A WebSocket test client: collects every frame, and awaits the next frame matching a predicate.
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
    ws.onmessage = (event) => {
      frames.push(JSON.parse(String(event.data)));
      for (const w of waiters.splice(0)) w();
    };
    ws.onclose = (event) => {
      resolveClosed({ code: event.code, reason: event.reason });
      for (const w of waiters.splice(0)) w();
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
          return awaitFrame(() => frames.find(test), match, timeoutMs, () => JSON.stringify(frames));
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
