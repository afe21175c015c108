// The REST client: the session's tokens (kept in localStorage so a reload keeps you logged in, shared between
// tabs), the access token refreshed before it expires, and every error turned into a sentence for the user.

export interface Session {
  access: string;
  refresh: string;
  user: { id: number; username: string; email: string };
}

const STORAGE_KEY = "parley.session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
    readonly code?: string,
  ) {
    super(message);
  }

  /** A network failure or a server-side problem: worth retrying. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

const FIELD_NAMES: Record<string, string> = {
  username: "Username",
  email: "Email",
  password: "Password",
  first_name: "First name",
  last_name: "Last name",
  message: "Message",
  file: "File",
  name: "Group name",
  members: "Members",
  user_id: "User",
};

/** The API's error body (`{detail}` or `{field: [messages]}`) as one sentence, with the per-field messages kept. */
export function toApiError(status: number, body: unknown): ApiError {
  if (status === 0) return new ApiError(0, "Cannot reach the server. Check your connection and try again.");
  const object = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const detail = typeof object.detail === "string" ? object.detail : typeof object.error === "string" ? object.error : null;
  if (detail) return new ApiError(status, status === 413 ? `Too large: ${detail}` : detail, {}, typeof object.code === "string" ? object.code : undefined);
  const fields: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(object)) {
    if (Array.isArray(value)) fields[key] = value.map(String);
    else if (typeof value === "string") fields[key] = [value];
  }
  if (Object.keys(fields).length) {
    const message = Object.entries(fields)
      .map(([key, messages]) => (key === "non_field_errors" ? messages.join(" ") : `${FIELD_NAMES[key] ?? key}: ${messages.join(" ")}`))
      .join(" ");
    return new ApiError(status, message, fields, "invalid");
  }
  if (status === 413) return new ApiError(status, "That is too large for the server to accept.");
  if (status === 429) return new ApiError(status, "Too many requests. Wait a moment and try again.");
  if (status >= 500) return new ApiError(status, `The server had a problem (${status}). Try again in a moment.`);
  return new ApiError(status, `The request failed (${status}).`);
}

/** Seconds-since-epoch `exp` of a JWT, in milliseconds (0 when unreadable). */
export function tokenExpiry(token: string): number {
  try {
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

function readStored(): Session | null {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    return value && typeof value.access === "string" && typeof value.refresh === "string" && value.user ? value : null;
  } catch {
    return null;
  }
}

type RequestOptions = { body?: unknown; auth?: boolean };

export class Api {
  session: Session | null = readStored();
  private refreshing: Promise<boolean> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly ended: Array<(reason: string) => void> = [];

  constructor() {
    // Another tab logged in, refreshed the tokens or logged out: follow it.
    window.addEventListener("storage", (event: StorageEvent) => {
      if (event.key !== STORAGE_KEY) return;
      const stored = readStored();
      const previous = this.session;
      if (stored) {
        this.session = stored;
        this.scheduleRefresh();
        if (previous?.user.id !== stored.user.id) for (const listener of this.changed) listener();
      } else if (previous) this.end("You logged out in another window.");
    });
    // Timers are throttled in background tabs: check again when the page comes back.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void this.ensureFresh();
    });
    this.scheduleRefresh();
  }

  private readonly changed: Array<() => void> = [];

  onSessionEnded(listener: (reason: string) => void) {
    this.ended.push(listener);
  }

  /** Another tab logged in (or in as someone else). */
  onSessionChanged(listener: () => void) {
    this.changed.push(listener);
  }

  start(session: Session) {
    this.session = session;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.scheduleRefresh();
  }

  /** Forgets the session here (and in other tabs) and tells the app why. */
  end(reason: string) {
    if (!this.session) return;
    this.session = null;
    clearTimeout(this.refreshTimer);
    localStorage.removeItem(STORAGE_KEY);
    for (const listener of this.ended) listener(reason);
  }

  private scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    if (!this.session) return;
    const expires = tokenExpiry(this.session.access);
    if (!expires) return;
    // A minute before expiry (or a fifth of a short lifetime), so requests never carry an expired token.
    const lifetime = Math.max(0, expires - Date.now());
    const delay = Math.max(0, lifetime - Math.min(60_000, lifetime / 5));
    this.refreshTimer = setTimeout(() => void this.refresh(), Math.min(delay, 2 ** 31 - 1));
  }

  /**
   * Refreshes now if the access token is about to expire. False once there is no session; true otherwise, even when
   * the refresh could not reach the server (the request that follows then reports the network error).
   */
  async ensureFresh(): Promise<boolean> {
    if (!this.session) return false;
    if (tokenExpiry(this.session.access) - Date.now() > 30_000) return true;
    await this.refresh();
    return this.session !== null;
  }

  /**
   * Rotates the token pair; one refresh at a time, across tabs too (the server ends the whole login when a refresh
   * token is used twice). A refused refresh token ends the session.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.refreshAlone().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refreshAlone(): Promise<boolean> {
    if (!navigator.locks) return this.doRefresh();
    return (await navigator.locks.request("parley.refresh", () => this.doRefresh())) as boolean;
  }

  private async doRefresh(): Promise<boolean> {
    // Another tab may have rotated while this one waited for the lock: take its pair rather than spend ours again.
    const latest = readStored();
    if (latest && this.session && latest.user.id === this.session.user.id && latest.refresh !== this.session.refresh) {
      this.session = latest;
      this.scheduleRefresh();
      return true;
    }
    const session = this.session;
    if (!session) return false;
    let status = 0;
    let body: unknown = null;
    try {
      const response = await fetch("/api/token/refresh/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh: session.refresh }) });
      status = response.status;
      body = await response.json().catch(() => null);
    } catch {
      this.refreshTimer = setTimeout(() => void this.refresh(), 10_000); // offline: try again soon
      return false;
    }
    if (status === 200 && body && typeof (body as Session).access === "string") {
      if (this.session !== session) return true; // logged out (or in again) meanwhile
      this.start({ ...session, access: (body as Session).access, refresh: (body as Session).refresh });
      return true;
    }
    // Another tab may have rotated the same refresh token a moment ago: adopt its pair.
    const stored = readStored();
    if (stored && stored.refresh !== session.refresh) {
      this.session = stored;
      this.scheduleRefresh();
      return true;
    }
    if (status === 401 || status === 403) this.end("Your session has expired. Please log in again.");
    else {
      this.refreshTimer = setTimeout(() => void this.refresh(), 10_000);
      return false;
    }
    return false;
  }

  /** A JSON request. Throws ApiError with a readable message; retries once after refreshing an expired token. */
  async request<T = any>(method: string, path: string, { body, auth = true }: RequestOptions = {}): Promise<T> {
    const attempt = async () => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers["content-type"] = "application/json";
      if (auth && this.session) headers.authorization = `Bearer ${this.session.access}`;
      try {
        const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await response.text();
        let parsed: unknown = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {}
        return { status: response.status, body: parsed };
      } catch {
        return { status: 0, body: null };
      }
    };
    if (auth && !(await this.ensureFresh())) throw new ApiError(401, "Please log in.");
    let result = await attempt();
    if (result.status === 401 && auth) {
      if (!(await this.refresh())) throw toApiError(401, result.body);
      result = await attempt();
      if (result.status === 401) this.end("Your session has ended. Please log in again.");
    }
    if (result.status >= 200 && result.status < 300) return result.body as T;
    throw toApiError(result.status, result.body);
  }

  /** A multipart POST through XMLHttpRequest, which reports upload progress (fetch does not). */
  async upload<T = any>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
    if (!(await this.ensureFresh())) throw new ApiError(401, "Please log in.");
    const attempt = () =>
      new Promise<{ status: number; body: unknown }>((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", path);
        if (this.session) xhr.setRequestHeader("authorization", `Bearer ${this.session.access}`);
        xhr.upload.onprogress = (event) => {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        };
        xhr.onload = () => {
          let body: unknown = null;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {}
          resolve({ status: xhr.status, body });
        };
        xhr.onerror = xhr.onabort = () => resolve({ status: 0, body: null });
        xhr.send(form);
      });
    let result = await attempt();
    if (result.status === 401 && (await this.refresh())) result = await attempt();
    if (result.status >= 200 && result.status < 300) return result.body as T;
    throw toApiError(result.status, result.body);
  }
}

/** Any failure as a sentence for the user. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong.";
}
