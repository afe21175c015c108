// The /ws connection: typed events in, operations out. A dropped connection is retried with exponential backoff and
// jitter and resumed with `since` (the last seq seen), so nothing logged while away is missed or seen twice; sends
// carry a client_id and are repeated until stored, which the server does once per client_id.
import type { Frame, Message, SocketEvents } from "../web/types";
import { ParleyError } from "./http";
import type { Rest } from "./rest";

export type SocketState = "connecting" | "open" | "reconnecting" | "stopped";

/** A frame of type K, as the server sent it. */
export type EventFrame<K extends keyof SocketEvents> = { type: K; conversation_id?: number; seq?: number; ref?: string | number; data: SocketEvents[K] };

export interface SocketOptions {
  /** The WebSocket class: the global one by default (browsers, Bun, Node.js 22+); on Node.js 20 pass `ws`'s. */
  WebSocket?: new (
    url: string,
  ) => WebSocket;
  /** Resume after this seq (one kept from an earlier run) instead of starting from now. */
  since?: number;
  /** Longest wait between reconnection attempts, in ms (15 s). */
  maxBackoffMs?: number;
}

interface Outgoing {
  frame: Record<string, unknown> & { client_id: string };
  resolve(message: Message): void;
  reject(error: ParleyError): void;
}

const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
/** The HTTP status the REST API answers with the same error code. */
const ERROR_STATUS: Record<string, number> = { forbidden: 403, not_found: 404, rate_limited: 429 };
const unref = <T>(timer: T) => {
  (timer as { unref?: () => void }).unref?.();
  return timer;
};

export class ParleySocket {
  state: SocketState = "stopped";
  /** The seq of the last logged event seen: where a reconnect resumes. */
  lastSeq: number | null;
  private socket: WebSocket | null = null;
  private running = false;
  private connecting = false;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;
  private readonly handlers = new Map<string, Set<(data: any, frame: any) => void>>();
  /** Sends not yet stored, by client_id: sent again on every (re)connection until acked. */
  private readonly outbox = new Map<string, Outgoing>();
  /** Read markers set while offline, by conversation: the newest goes once connected. */
  private readonly reads = new Map<number, number>();
  private readonly Socket: new (
    url: string,
  ) => WebSocket;

  constructor(
    private readonly rest: Rest,
    private readonly options: SocketOptions = {},
  ) {
    this.lastSeq = options.since ?? null;
    const Socket = options.WebSocket ?? globalThis.WebSocket;
    if (!Socket) throw new Error("No WebSocket here: pass the WebSocket option (on Node.js 20: the `ws` package's).");
    this.Socket = Socket;
    globalThis.addEventListener?.("online", () => this.running && this.state === "reconnecting" && this.reconnectNow());
  }

  /** Subscribes to one frame type; returns the unsubscribe function. */
  on<K extends keyof SocketEvents>(type: K, handler: (data: SocketEvents[K], frame: EventFrame<K>) => void): () => void;
  /** "frame": every event frame (logged ones once each, in seq order); "state": the connection's state. */
  on(type: "frame", handler: (frame: Frame) => void): () => void;
  on(type: "state", handler: (state: SocketState) => void): () => void;
  on(type: string, handler: (data: any, frame: any) => void): () => void {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set.add(handler));
    return () => set.delete(handler);
  }

  private emit(type: string, data: unknown, frame?: unknown) {
    for (const handler of this.handlers.get(type) ?? []) handler(data, frame);
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.attempts = 0;
    void this.connect();
  }

  /** Closes for good; sends still waiting are rejected. */
  stop() {
    this.running = false;
    this.setState("stopped");
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "Closed by the client");
    for (const outgoing of this.outbox.values()) outgoing.reject(new ParleyError(0, "stopped", "The connection was closed before the message was stored."));
    this.outbox.clear();
  }

  /**
   * Sends a message; resolves with it once stored. Queued while offline and sent again after a reconnect with the
   * same client_id, so it is stored exactly once. Rejects on a refusal (not a member, invalid, …) with ParleyError.
   */
  send(
    conversationId: number,
    message: string,
    { client_id = crypto.randomUUID(), reply_to }: { client_id?: string; reply_to?: number } = {},
  ): Promise<Message> {
    return new Promise((resolve, reject) => {
      const frame = { type: "message.send", ref: client_id, conversation_id: conversationId, message, client_id, ...(reply_to ? { reply_to } : {}) };
      this.outbox.set(client_id, { frame, resolve, reject });
      if (this.state === "open") this.write(frame);
    });
  }

  /** "I am typing" (dropped while offline: it would be stale). */
  typing(conversationId: number) {
    if (this.state === "open") this.write({ type: "typing", conversation_id: conversationId });
  }

  /** Moves the read marker; kept until connected when offline. */
  read(conversationId: number, messageId: number) {
    if (this.state === "open" && this.write({ type: "read", conversation_id: conversationId, message_id: messageId })) return;
    if (messageId > (this.reads.get(conversationId) ?? 0)) this.reads.set(conversationId, messageId);
  }

  private write(operation: Record<string, unknown>): boolean {
    if (this.socket?.readyState !== 1) return false;
    this.socket.send(JSON.stringify(operation));
    return true;
  }

  private setState(state: SocketState) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  private reconnectNow() {
    clearTimeout(this.retryTimer);
    void this.connect();
  }

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
      ({ ticket } = await this.rest.wsTicket());
    } catch {
      if (this.running) this.rest.session ? this.retryLater() : this.stop();
      return;
    }
    if (!this.running) return;
    const query = new URLSearchParams({ ticket });
    if (this.lastSeq !== null) query.set("since", String(this.lastSeq));
    const socket = new this.Socket(`${this.rest.url("/ws").replace(/^http/, "ws")}?${query}`);
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.lastFrameAt = Date.now();
      try {
        this.receive(JSON.parse(String(event.data)));
      } catch {}
    };
    socket.onclose = () => this.dropped(socket);
  }

  private dropped(socket: WebSocket) {
    if (this.socket !== socket) return;
    this.socket = null;
    clearInterval(this.pingTimer);
    if (this.running) this.retryLater();
  }

  private retryLater() {
    this.setState("reconnecting");
    // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so a restarted server is not hit by every client at once.
    const delay = Math.min(this.options.maxBackoffMs ?? 15_000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts++;
    clearTimeout(this.retryTimer);
    this.retryTimer = unref(setTimeout(() => void this.connect(), delay));
  }

  private receive(frame: Frame) {
    const { type, data } = frame;
    if (type === "hello") {
      this.attempts = 0;
      this.lastSeq ??= data.seq;
      this.startPings();
      for (const [conversation_id, message_id] of this.reads) this.write({ type: "read", conversation_id, message_id });
      this.reads.clear();
      for (const outgoing of this.outbox.values()) this.write(outgoing.frame);
      this.setState("open"); // after the queue went: what "open" listeners send goes once
    } else if (type === "resync") this.lastSeq = data.seq;
    else if (typeof frame.seq === "number") {
      if (this.lastSeq !== null && frame.seq <= this.lastSeq) return; // already seen
      this.lastSeq = frame.seq;
    }
    const outgoing = this.outbox.get(String(frame.ref ?? data?.client_id));
    if (outgoing && (type === "ack" || (type === "message.created" && data.sender === this.rest.session?.user.id))) {
      this.outbox.delete(outgoing.frame.client_id);
      outgoing.resolve(data);
    } else if (outgoing && type === "error") {
      // Over the send limit: nothing was stored; the same frame goes again once allowed.
      if (data.code === "rate_limited") unref(setTimeout(() => this.state === "open" && this.write(outgoing.frame), (data.retry_after ?? 1) * 1000));
      else {
        this.outbox.delete(outgoing.frame.client_id);
        outgoing.reject(new ParleyError(ERROR_STATUS[data.code] ?? 400, data.code, data.message));
      }
    }
    if (type === "ack" || type === "pong") return;
    this.emit(type, data, frame);
    this.emit("frame", frame);
  }

  /** A connection can die silently (a sleeping laptop, a dropped Wi-Fi): ping, and reconnect if nothing comes back. */
  private startPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = unref(
      setInterval(() => {
        const socket = this.socket;
        const sentAt = Date.now();
        if (!socket || !this.write({ type: "ping" })) return;
        unref(
          setTimeout(() => {
            if (this.socket !== socket || this.lastFrameAt >= sentAt) return;
            socket.close();
            this.dropped(socket);
          }, PONG_WITHIN_MS),
        );
      }, PING_EVERY_MS),
    );
  }
}
