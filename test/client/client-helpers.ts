// The typed client (src/client/) in tests: a logged-in ParleyClient, and the next event of a socket as a promise.
import { ParleyClient, type ParleySocket, type EventFrame, type SocketEvents, type SocketState } from "../../src/client";
import { checkedFetch, type TestUser } from "../helpers";

/** A client for `user`, logged in through the client itself. */
export async function loggedIn(url: string, user: TestUser): Promise<ParleyClient> {
  const client = new ParleyClient({ baseUrl: url, fetch: checkedFetch });
  await client.login(user.email, user.password);
  return client;
}

/** The next `type` event matching `match`, within `timeoutMs`. */
export function nextEvent<K extends keyof SocketEvents>(
  socket: ParleySocket,
  type: K,
  match: (data: SocketEvents[K], frame: EventFrame<K>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<SocketEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = socket.on(type, (data, frame) => {
      if (!match(data, frame)) return;
      clearTimeout(timer);
      off();
      resolve(data);
    });
  });
}

/** Resolves once the socket reaches `state`. */
export function reaches(socket: ParleySocket, state: SocketState, timeoutMs = 10_000): Promise<void> {
  if (socket.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`not ${state} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = socket.on("state", (now) => {
      if (now !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
