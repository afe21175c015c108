// Where the client keeps its tokens: in memory by default, or in localStorage (kept across reloads, shared by tabs).

/** A login: the token pair and who it belongs to. */
export interface Session {
  access: string;
  refresh: string;
  user: { id: number; username: string; email: string };
}

/** A pluggable place for the session. `subscribe` reports changes made elsewhere (another tab). */
export interface TokenStore {
  get(): Session | null;
  set(session: Session | null): void;
  subscribe?(listener: () => void): void;
}

export function memoryStore(initial: Session | null = null): TokenStore {
  let session = initial;
  return { get: () => session, set: (value) => void (session = value) };
}

/** The session in localStorage under `key`; other tabs' changes arrive through the `storage` event. */
export function localStorageStore(key = "parley.session"): TokenStore {
  return {
    get() {
      try {
        const value = JSON.parse(localStorage.getItem(key) ?? "null");
        return value && typeof value.access === "string" && typeof value.refresh === "string" && value.user ? value : null;
      } catch {
        return null;
      }
    },
    set: (session) => (session ? localStorage.setItem(key, JSON.stringify(session)) : localStorage.removeItem(key)),
    subscribe: (listener) => addEventListener("storage", (event: StorageEvent) => event.key === key && listener()),
  };
}
