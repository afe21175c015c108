// The /ws connection: events in, operations out. A dropped connection is retried with exponential backoff and
// resumed with `since` (the last seq seen), so nothing logged while away is missed or seen twice.
import type { Api } from "./api";
import type { Frame } from "./types";

export type LiveState = "connecting" | "open" | "reconnecting" | "stopped";

const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;

export class Live {
  state: LiveState = "stopped";
  /** The seq of the last logged event seen: where a reconnect resumes. */
  private lastSeq: number | null = null;
  private socket: WebSocket | null = null;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;

  constructor(
    private readonly api: Api,
    private readonly handlers: { event(frame: Frame): void; state(state: LiveState): void; resync(): void },
  ) {
    window.addEventListener("online", () => {
      if (this.running && this.state === "reconnecting") this.reconnectNow();
    });
  }

  private running = false;

  start() {
    if (this.running) return;
    this.running = true;
    this.lastSeq = null;
    this.attempts = 0;
    void this.connect();
  }

  stop() {
    this.running = false;
    this.setState("stopped");
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "Logged out");
  }

  /** Sends an operation if the socket is open; false otherwise (the caller keeps it for later). */
  send(operation: Record<string, unknown>): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(operation));
    return true;
  }

  private setState(state: LiveState) {
    if (this.state === state) return;
    this.state = state;
    this.handlers.state(state);
  }

  private reconnectNow() {
    clearTimeout(this.retryTimer);
    void this.connect();
  }

  private connecting = false;

  private async connect() {
    if (!this.running || this.connecting || this.socket) return;
    this.connecting = true;
    try {
      await this.open();
    } finally {
      this.connecting = false;
    }
  }

  private async open() {
    this.setState(this.attempts === 0 ? "connecting" : "reconnecting");
    // A single-use ticket goes in the URL, not the access token (proxies log URLs). Asking for it also refreshes a
    // token that expired while away, and ends a session the server ended (a refused upgrade says nothing why).
    let ticket: string;
    try {
      ({ ticket } = await this.api.request<{ ticket: string }>("POST", "/api/ws-ticket/"));
    } catch {
      if (this.running) return this.api.session ? this.retryLater() : this.stop();
      return;
    }
    if (!this.running) return;
    const query = new URLSearchParams({ ticket });
    if (this.lastSeq !== null) query.set("since", String(this.lastSeq));
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?${query}`);
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.lastFrameAt = Date.now();
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data));
      } catch {
        return;
      }
      this.receive(frame);
    };
    socket.onclose = () => this.dropped(socket);
  }

  private dropped(socket: WebSocket) {
    if (this.socket !== socket) return;
    this.socket = null;
    clearInterval(this.pingTimer);
    if (!this.running) return;
    this.retryLater();
  }

  private retryLater() {
    this.setState("reconnecting");
    // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so a restarted server is not hit by every client at once.
    const delay = Math.min(15_000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private receive(frame: Frame) {
    if (frame.type === "hello") {
      this.attempts = 0;
      if (this.lastSeq === null) this.lastSeq = frame.data.seq;
      this.setState("open");
      this.startPings();
      return;
    }
    if (frame.type === "resync") {
      this.lastSeq = frame.data.seq;
      this.handlers.resync();
      return;
    }
    if (typeof frame.seq === "number") {
      if (this.lastSeq !== null && frame.seq <= this.lastSeq) return; // already seen
      this.lastSeq = frame.seq;
    }
    this.handlers.event(frame);
  }

  /** A connection can die silently (a sleeping laptop, a dropped Wi-Fi): ping, and reconnect if nothing comes back. */
  private startPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      const sentAt = Date.now();
      if (!this.send({ type: "ping" })) return;
      setTimeout(() => {
        if (this.socket !== socket || this.lastFrameAt >= sentAt) return;
        socket.close();
        this.dropped(socket);
      }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }
}
