// A stand-in push service on port 0 for Web Push tests, and the browser's half of RFC 8291 written here with Web Crypto
// (not the library Parley encrypts with): a subscription's keys, the VAPID check (RFC 8292) and the aes128gcm decryption.
import { afterAll } from "bun:test";

const b64url = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes as ArrayBuffer).toString("base64url");
const fromB64url = (text: string) => new Uint8Array(Buffer.from(text, "base64url"));
const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A browser's side of one subscription: what it posts to Parley, and its private key to decrypt with. */
export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  privateKey: CryptoKey;
}

export async function browserSubscription(endpoint: string): Promise<BrowserSubscription> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { endpoint, keys: { p256dh: b64url(publicKey), auth: b64url(crypto.getRandomValues(new Uint8Array(16))) }, privateKey: pair.privateKey };
}

async function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", ikm as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, info: info as Uint8Array<ArrayBuffer> },
      key,
      bytes * 8,
    ),
  );
}

/** RFC 8291 §3.4 / RFC 8188: the one-record aes128gcm body, decrypted with the subscription's private key. */
export async function decryptPush(subscription: BrowserSubscription, body: Uint8Array): Promise<string> {
  const salt = body.subarray(0, 16);
  const recordSize = new DataView(body.buffer, body.byteOffset).getUint32(16);
  const idLength = body[20]!;
  const serverPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (idLength !== 65 || ciphertext.length > recordSize) throw new Error(`not one aes128gcm record (keyid ${idLength} bytes, record size ${recordSize})`);
  const serverKey = await crypto.subtle.importKey("raw", serverPublic as Uint8Array<ArrayBuffer>, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: serverKey }, subscription.privateKey, 256));
  const auth = fromB64url(subscription.keys.auth);
  const ikm = await hkdf(auth, shared, concat(utf8("WebPush: info\0"), fromB64url(subscription.keys.p256dh), serverPublic), 32);
  const cek = await hkdf(salt, ikm, utf8("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, utf8("Content-Encoding: nonce\0"), 12);
  const key = await crypto.subtle.importKey("raw", cek as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(
    await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce as Uint8Array<ArrayBuffer> }, key, ciphertext as Uint8Array<ArrayBuffer>),
  );
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("the last record must end with the delimiter 0x02");
  return new TextDecoder().decode(padded.subarray(0, end));
}

/** RFC 8292: `vapid t=<JWT>, k=<key>` signed ES256 by `serverKey` for the endpoint's origin, expiring within 24 h. */
export async function verifyVapid(authorization: string | null, serverKey: string, endpoint: string): Promise<Record<string, unknown>> {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(authorization ?? "");
  if (!match) throw new Error(`not a VAPID Authorization header: ${authorization}`);
  const [, jwt, k] = match as unknown as [string, string, string];
  if (k !== serverKey) throw new Error("k is not the server's public key");
  const [header, claims, signature] = jwt.split(".") as [string, string, string];
  if (JSON.parse(Buffer.from(header, "base64url").toString()).alg !== "ES256") throw new Error("alg is not ES256");
  const key = await crypto.subtle.importKey("raw", fromB64url(k), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const valid = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, fromB64url(signature), utf8(`${header}.${claims}`));
  if (!valid) throw new Error("the VAPID signature does not verify");
  const payload = JSON.parse(Buffer.from(claims, "base64url").toString()) as { aud: string; exp: number; sub?: string };
  const now = Date.now() / 1000;
  if (payload.aud !== new URL(endpoint).origin) throw new Error(`aud ${payload.aud} is not the endpoint's origin`);
  if (!(payload.exp > now && payload.exp <= now + 24 * 3600)) throw new Error(`exp ${payload.exp} is not within the next 24 hours`);
  if (!payload.sub) throw new Error("no sub");
  return payload;
}

export interface ReceivedPush {
  path: string;
  headers: Headers;
  body: Uint8Array;
}

/** How the push service answers a request: its status and headers, after a delay if one is given. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  afterMs?: number;
}

/** The push service: records every POST; answers each path's queued statuses first, then 201. */
export function startPushService() {
  const received: ReceivedPush[] = [];
  const scripted = new Map<string, Answer[]>();
  const waiters: Array<() => void> = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      received.push({ path, headers: request.headers, body: new Uint8Array(await request.arrayBuffer()) });
      for (const wake of waiters.splice(0)) wake();
      const answer = scripted.get(path)?.shift() ?? { status: 201 };
      if (answer.afterMs) await Bun.sleep(answer.afterMs);
      return new Response(null, { status: answer.status, headers: answer.headers });
    },
  });
  afterAll(() => server.stop(true));
  let paths = 0;
  return {
    received,
    /** A fresh endpoint on this service. */
    endpoint: () => `${server.url.origin}/push/${++paths}-${crypto.randomUUID()}`,
    script(endpoint: string, ...answers: Answer[]) {
      scripted.set(new URL(endpoint).pathname, answers);
    },
    to: (endpoint: string) => received.filter((push) => push.path === new URL(endpoint).pathname),
  };
}
