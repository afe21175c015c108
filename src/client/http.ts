// The REST transport: requests with the access token, errors as ParleyError, and the session's tokens refreshed
// before they expire, one refresh at a time (the server ends the whole login when a refresh token is spent twice).
import type { LoginAnswer, User } from "../web/types";
import { memoryStore, type Session, type TokenStore } from "./store";

/** Every failure of a call: the HTTP status (0: the server could not be reached) and the API's error body. */
export class ParleyError extends Error {
  constructor(
    readonly status: number,
    /** The API's stable code (`not_found`, `rate_limited`, `invalid` for field errors …), or "" without one. */
    readonly code: string,
    readonly detail: string,
    /** Per-field messages, as `{"field": ["message"]}` bodies give them. */
    readonly fields: Record<string, string[]> = {},
    /** Seconds to wait, from Retry-After (429, 503). */
    readonly retryAfter: number | null = null,
  ) {
    super(detail);
    this.name = "ParleyError";
  }

  /** A network failure or a server-side problem: worth retrying. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

/** The error body (`{detail, code}` or `{field: [messages]}`) of an answer as a ParleyError. */
export function toError(status: number, body: unknown, retryAfter: string | null = null): ParleyError {
  const object = typeof body === "object" && body ? (body as Record<string, unknown>) : {};
  const text = (key: string) => (typeof object[key] === "string" ? (object[key] as string) : "");
  const retry = retryAfter !== null && retryAfter !== "" && Number.isFinite(+retryAfter) ? +retryAfter : null;
  const detail = text("detail") || text("error");
  if (detail) return new ParleyError(status, text("code"), detail, {}, retry);
  const fields: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(object)) if (Array.isArray(value) || typeof value === "string") fields[key] = [value].flat().map(String);
  const summary = Object.entries(fields).map(([key, messages]) => (key === "non_field_errors" ? "" : `${key}: `) + messages.join(" "));
  return new ParleyError(
    status,
    summary.length ? "invalid" : "",
    summary.join(" ") || (status ? `The request failed (${status}).` : "Cannot reach the server."),
    fields,
    retry,
  );
}

/** A JWT's `exp` and `iat` (seconds since the epoch) in milliseconds; 0 when unreadable. */
export function tokenTimes(token: string): { expires: number; issued: number } {
  try {
    const { exp, iat } = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    return { expires: typeof exp === "number" ? exp * 1000 : 0, issued: typeof iat === "number" ? iat * 1000 : 0 };
  } catch {
    return { expires: 0, issued: 0 };
  }
}

/** How long before expiry to refresh: a minute, or a fifth of a short lifetime. */
const margin = ({ expires, issued }: { expires: number; issued: number }) => Math.min(60_000, (expires - (issued || expires - 300_000)) / 5);

export interface ClientOptions {
  /** The server, e.g. "https://chat.example.com"; in a browser, the page's own origin by default. */
  baseUrl?: string;
  /** Where the tokens live: memoryStore() by default, localStorageStore() to keep them across reloads and tabs. */
  store?: TokenStore;
  /** A fetch to use instead of the global one. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** Why the session ended: logged out here, ended by the server (refused refresh, 401), or in another tab. */
export type EndReason = "logout" | "expired" | "elsewhere";

type Query = Record<string, string | number | undefined>;
type Answer = { status: number; body: unknown; retryAfter: string | null };

/** A timer that does not keep a Node.js or Bun process alive. */
const later = (run: () => void, ms: number) => {
  const timer = setTimeout(run, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  (timer as { unref?: () => void }).unref?.();
  return timer;
};

export class Http {
  readonly baseUrl: string;
  readonly store: TokenStore;
  session: Session | null;
  private readonly fetcher: (input: string, init: RequestInit) => Promise<Response>;
  private refreshing: Promise<boolean> | null = null;
  /** A new password's login under way (changePassword). */
  private renewing: Promise<unknown> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners: { end: ((reason: EndReason) => void)[]; change: (() => void)[] } = { end: [], change: [] };

  constructor({ baseUrl, store = memoryStore(), fetch: fetcher }: ClientOptions = {}) {
    this.baseUrl = (baseUrl ?? globalThis.location?.origin ?? "").replace(/\/$/, "");
    this.store = store;
    this.fetcher = fetcher ?? ((input, init) => fetch(input, init));
    this.session = store.get();
    // Another tab logged in, refreshed or logged out: follow it.
    store.subscribe?.(() => {
      const stored = store.get();
      const previous = this.session;
      this.session = stored;
      if (stored) {
        this.scheduleRefresh();
        if (previous?.user.id !== stored.user.id) for (const listener of this.listeners.change) listener();
      } else if (previous) this.ended("elsewhere");
    });
    this.scheduleRefresh();
  }

  /** Called once the session ends (not when another tab logs in as someone else: see onSessionChange). */
  onSessionEnd(listener: (reason: EndReason) => void) {
    this.listeners.end.push(listener);
  }

  /** Another tab logged in (or in as someone else). */
  onSessionChange(listener: () => void) {
    this.listeners.change.push(listener);
  }

  /** Logs in; the session is kept in the store. */
  async login(email: string, password: string): Promise<Session> {
    const answer = await this.call<LoginAnswer>("POST", "/api/login/", { body: { email, password }, auth: false });
    const user = { id: answer.id, email: answer.email, username: "" };
    this.start({ access: answer.access, refresh: answer.refresh, user });
    // The login answer names the person, not the account: the username comes from the profile.
    const profile = await this.call<User>("GET", `/api/${answer.id}/`);
    this.start({ ...this.session!, user: { ...user, username: profile.username } });
    return this.session!;
  }

  /**
   * Sets a new password, which ends every session of the account, this one too, and logs in again with it. Calls that
   * meet the ended session meanwhile (a socket reconnecting) wait for the new one instead of ending it.
   */
  async changePassword(userId: number, currentPassword: string, password: string): Promise<Session> {
    const email = this.session?.user.email ?? "";
    await this.call("PATCH", `/api/${userId}/update/`, { body: { password, current_password: currentPassword } });
    const relogin = this.login(email, password);
    this.renewing = relogin.finally(() => (this.renewing = null));
    return relogin;
  }

  /** Revokes the refresh token (and the access token) on the server, then forgets the session. */
  async logout(): Promise<void> {
    const session = this.session;
    try {
      if (session) await this.call("POST", "/api/logout/", { body: { refresh: session.refresh } });
    } finally {
      this.end("logout");
    }
  }

  /** Ends every login of the account on the server (other devices too), then here. */
  async logoutEverywhere(): Promise<void> {
    await this.call("POST", "/api/logout/all/");
    this.end("logout");
  }

  /** Adopts a session (from a login elsewhere, or changed fields of the user). */
  start(session: Session) {
    this.session = session;
    this.store.set(session);
    this.scheduleRefresh();
  }

  /** Forgets the session here (and wherever the store is shared) and tells the listeners why. */
  end(reason: EndReason) {
    if (!this.session) return;
    this.store.set(null);
    this.ended(reason);
  }

  private ended(reason: EndReason) {
    this.session = null;
    clearTimeout(this.refreshTimer);
    for (const listener of this.listeners.end) listener(reason);
  }

  private scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    const times = tokenTimes(this.session?.access ?? "");
    // Ahead of expiry, so requests never carry an expired token.
    if (times.expires) this.refreshTimer = later(() => void this.refresh(), times.expires - margin(times) - Date.now());
  }

  /** Refreshes now if the access token is about to expire. False once there is no session. */
  async ensureFresh(): Promise<boolean> {
    if (!this.session) return false;
    const times = tokenTimes(this.session.access);
    if (times.expires - Date.now() > margin(times) / 2) return true;
    await this.refresh();
    return this.session !== null;
  }

  /**
   * Rotates the token pair. Concurrent callers share one refresh; tabs sharing a store take turns (Web Locks) and
   * take the pair another tab just got rather than spend the same refresh token again. A refused token ends the session.
   */
  refresh(): Promise<boolean> {
    const locks = globalThis.navigator?.locks;
    this.refreshing ??= (locks ? (locks.request("parley.refresh", () => this.rotate()) as unknown as Promise<boolean>) : this.rotate()).finally(
      () => (this.refreshing = null),
    );
    return this.refreshing;
  }

  /** The store holds a newer pair for the same user than this client (another tab rotated): take it. */
  private adoptStored(session: Session): boolean {
    const stored = this.store.get();
    if (!stored || stored.user.id !== session.user.id || stored.refresh === session.refresh) return false;
    this.session = stored;
    this.scheduleRefresh();
    return true;
  }

  private async rotate(): Promise<boolean> {
    if (this.renewing)
      return this.renewing.then(
        () => true,
        () => false,
      );
    const session = this.session;
    if (!session) return false;
    if (this.adoptStored(session)) return true;
    const answer = await this.send("POST", "/api/token/refresh/", { body: { refresh: session.refresh } });
    const pair = answer.body as { access?: string; refresh?: string } | null;
    if (answer.status === 200 && pair?.access && pair.refresh) {
      if (this.session === session) this.start({ ...session, access: pair.access, refresh: pair.refresh });
      return true;
    }
    if (this.adoptStored(session)) return true;
    if (answer.status === 401 || answer.status === 403) this.end("expired");
    else this.refreshTimer = later(() => void this.refresh(), 10_000); // offline or overloaded: try again soon
    return false;
  }

  url(path: string, query: Query = {}): string {
    const params = Object.entries(query).filter(([, value]) => value !== undefined && value !== "");
    return this.baseUrl + path + (params.length ? `?${new URLSearchParams(params.map(([key, value]) => [key, String(value)]))}` : "");
  }

  private async send(method: string, path: string, { body, query, auth }: { body?: unknown; query?: Query; auth?: boolean }): Promise<Answer> {
    const headers: Record<string, string> = {};
    const form = typeof FormData !== "undefined" && body instanceof FormData;
    if (body !== undefined && !form) headers["content-type"] = "application/json";
    if (auth && this.session) headers.authorization = `Bearer ${this.session.access}`;
    try {
      const response = await this.fetcher(this.url(path, query), {
        method,
        headers,
        body: body === undefined ? undefined : form ? (body as FormData) : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {}
      return { status: response.status, body: parsed, retryAfter: response.headers.get("retry-after") };
    } catch {
      return { status: 0, body: null, retryAfter: null };
    }
  }

  /**
   * One API call: the access token refreshed first when it is about to expire, and once more after a 401.
   * `upload` replaces fetch for bodies whose progress is reported (XMLHttpRequest in browsers).
   */
  async call<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; auth?: boolean; upload?: (token: string) => Promise<Answer> } = {},
  ): Promise<T> {
    const auth = options.auth ?? true;
    const attempt = () => (options.upload && this.session ? options.upload(this.session.access) : this.send(method, path, { ...options, auth }));
    if (auth && !(await this.ensureFresh())) throw new ParleyError(401, "not_authenticated", "Please log in.");
    let answer = await attempt();
    if (answer.status === 401 && auth) {
      if (!(await this.refresh())) throw toError(401, answer.body);
      answer = await attempt();
      if (answer.status === 401) this.end("expired");
    }
    if (answer.status >= 200 && answer.status < 300) return answer.body as T;
    throw toError(answer.status, answer.body, answer.retryAfter);
  }
}

export type { Answer, Query };
