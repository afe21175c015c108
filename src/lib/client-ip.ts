// The client's address, as the per-address rate limits key it.

/** What we need of Bun's server: the peer address of a request's socket. */
export interface PeerSource {
  requestIP(request: Request): { address: string } | null;
}

/** The key for a request's client; `server` is null under app.handle() (no socket), which all share one key. */
export type ClientIp = (request: Request, server: PeerSource | null) => string;

export const NO_SOCKET = "no-socket";
const ADDRESS = /^[0-9a-f:.]{2,45}$/i;

/**
 * The socket's peer address; with `trustProxy`, the last X-Forwarded-For entry instead — the address our own
 * reverse proxy saw (entries before it are whatever the client chose to send).
 */
export function clientIpSource(trustProxy: boolean): ClientIp {
  return (request, server) => {
    if (trustProxy) {
      const forwarded = request.headers.get("x-forwarded-for");
      const last = forwarded?.slice(forwarded.lastIndexOf(",") + 1).trim();
      if (last && ADDRESS.test(last)) return addressKey(last);
    }
    const peer = server?.requestIP(request)?.address;
    return peer ? addressKey(peer) : NO_SOCKET;
  };
}

/** IPv4 as is; IPv6 by its /64 (one subscriber usually holds a whole /64), IPv4-mapped IPv6 as IPv4. */
export function addressKey(address: string): string {
  if (!address.includes(":")) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const [head = "", tail] = address.split("%")[0]!.split("::", 2);
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  const prefix = groups.slice(0, 4).map((g) => parseInt(g, 16));
  return prefix.length === 4 && prefix.every((g) => g >= 0 && g <= 0xffff) ? `${prefix.map((g) => g.toString(16)).join(":")}::/64` : address;
}
