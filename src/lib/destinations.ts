// Where Parley POSTs to a URL someone else gave it (outgoing webhooks, Web Push endpoints): by default only public
// addresses. The name is resolved here and the request sent to the address checked (Host header and TLS server name
// kept), so a name that resolves to a public address when checked and a private one when connecting (DNS rebinding)
// cannot slip through; redirects are never followed.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";

/** IPv4 ranges that are not the public internet (RFC 6890 and friends), as [first address, prefix length]. */
const BLOCKED_V4: [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

const v4ToInt = (ip: string) => ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);

function blockedV4(ip: string): boolean {
  const n = v4ToInt(ip);
  return BLOCKED_V4.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(v4ToInt(base) / 2 ** (32 - bits)));
}

/** The 8 groups of an IPv6 address, or null. */
function v6Groups(ip: string): number[] | null {
  let text = ip.toLowerCase().split("%")[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = v4ToInt(v4[1]!);
    text = text.slice(0, -v4[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const a = parse(head);
  const b = parse(tail);
  const groups = tail === undefined ? a : [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function blockedV6(ip: string): boolean {
  const g = v6Groups(ip);
  if (!g) return true;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) {
    if (g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return true; // :: and ::1
    return blockedV4(`${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`); // IPv4-mapped (and -compatible)
  }
  if (g0 === 0x64 && g1 === 0xff9b) return blockedV4(`${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`); // NAT64
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  return false;
}

/** Whether an address is not on the public internet. */
export function isPrivateAddress(ip: string): boolean {
  const version = isIP(ip);
  return version === 4 ? blockedV4(ip) : version === 6 ? blockedV6(ip) : true;
}

export class RefusedDestination extends Error {}
/** The name did not resolve (no DNS answer): perhaps for now only, unlike an address that is not public. */
export class UnresolvedDestination extends RefusedDestination {}

/** The addresses a host name resolves to: the system's resolver, or a test's own (names it controls, no DNS needed). */
export type Resolver = (host: string) => Promise<string[]>;
const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true }).catch(() => [])).map((a) => a.address);

/** A URL webhooks accept at all: http(s), no credentials in it. */
export function checkWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RefusedDestination("Give an http:// or https:// URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new RefusedDestination("Give an http:// or https:// URL.");
  if (url.username || url.password) throw new RefusedDestination("Put no credentials in the URL; verify the signature instead.");
  return url;
}

/** The address to connect to for `url`: resolved now, refused unless public (or private ones are allowed). */
export async function resolveDestination(url: URL, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : await resolve(host);
  if (addresses.length === 0) throw new UnresolvedDestination(`${host} does not resolve.`);
  if (allowPrivate) return addresses[0]!;
  // Every address must be public: otherwise which one is used would decide.
  if (addresses.some(isPrivateAddress)) throw new RefusedDestination(`${host} resolves to an address that is not public.`);
  return addresses[0]!;
}

/** POSTs to `url` at `address` (Host header and TLS server name of the URL's host); no redirects followed. */
export function postTo(
  url: URL,
  address: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  const target = new URL(url);
  target.hostname = isIP(address) === 6 ? `[${address}]` : address;
  const serverName = url.hostname.replace(/^\[|\]$/g, "");
  return fetch(target, {
    method: "POST",
    body,
    headers: { ...headers, host: url.host },
    redirect: "manual",
    signal,
    tls: { serverName, checkServerIdentity: (_: string, cert: never) => checkServerIdentity(serverName, cert) },
  } as RequestInit);
}
