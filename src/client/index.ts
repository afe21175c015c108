// parley/client: a typed, dependency-free client for Parley's REST API and /ws, for browsers, Bun and Node.js 20+.
import { Rest } from "./rest";
import { ParleySocket, type SocketOptions } from "./socket";

export { ParleyError, type ClientOptions, type EndReason } from "./http";
export { ParleySocket, type EventFrame, type SocketOptions, type SocketState } from "./socket";
export { localStorageStore, memoryStore, type Session, type TokenStore } from "./store";
export type { ProfileFields } from "./rest";
export type * from "../web/types";

/** Every REST operation as a typed method, the session's tokens, and `socket()` for /ws. */
export class ParleyClient extends Rest {
  /** A /ws connection on this client's session; call `start()` on it. */
  socket(options?: SocketOptions): ParleySocket {
    return new ParleySocket(this, options);
  }
}
