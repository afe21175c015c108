// Who is connected, which topics their sockets hear, and publishing committed events to them in seq order.
import type { Server } from "bun";
import { isDatabaseUnreachable } from "../../lib/database-outage";
import type { Logger } from "../../lib/log";
import type { LoggedEvent } from "../../core/events";
import type { AuthUser } from "../auth/caller";
import { conversationTopic, legacyTopic } from "./topics";

/** Unsent output past which a socket counts as a slow consumer and is closed with 1013. */
export const SLOW_CONSUMER_BYTES = 1024 * 1024;

/** What a socket carries (Bun's ws.data): one object per socket, its handlers on its prototype (see gateway.ts). */
export interface SocketState {
  user: AuthUser;
  /** The login (token family) the socket authenticated with: revoking it closes the socket. */
  family: string;
  /** The seq this socket has heard everything up to through its subscriptions (replays stop here). */
  subscribedAt: number;
  /** Set for sockets of the original's endpoint, which hear one conversation in the original's format. */
  legacyConversation: number | null;
  /** Flood control: the operations this socket may still send now (a token bucket), and when it was last refilled. */
  floodBucket: number;
  refilledAt: number;
  /** When this socket last sent `typing`, per conversation. */
  typingAt: Map<number, number> | null; // made on first use: most sockets never type
}

/** The part of Bun's ServerWebSocket the gateway uses (Elysia hands out the raw socket under its own type). */
export interface Socket {
  readonly data: SocketState;
  /** 1 while open. */
  readonly readyState: number;
  send(data: string): number;
  subscribe(topic: string): unknown;
  unsubscribe(topic: string): unknown;
  isSubscribed(topic: string): boolean;
  publish(topic: string, data: string): number;
  close(code?: number, reason?: string): void;
  cork<T = unknown>(callback: (ws: any) => T): T;
  getBufferedAmount(): number;
}

/** What nodes tell each other that is not in the event log: typing, and closing a user's sockets. */
export type Signal =
  | { kind: "typing"; conversation_id: number; frame: string }
  | { kind: "users"; user_ids: number[]; frame: string }
  | { kind: "disconnect"; user_id: number; code: number; reason: string; family?: string };

/** How long a hole waits before the log is read for it again, while the database is away. */
const LOG_RETRY_MS = 250;

/** How many recently published events the hub keeps at least: a few milliseconds' worth on a busy cluster. */
const RECENT_EVENTS = 1024;

export class Hub {
  private server: Server<any> | null = null;
  /** Each user's sockets on this node: an array, as most users have one or two (a Set costs five times as much). */
  private readonly sockets = new Map<number, Socket[]>();
  private readonly waiting = new Map<number, LoggedEvent>();
  /** Set while a hole below a waiting event is being read from the log. */
  private fillingGap = false;
  private readonly deliverListeners: Array<(event: LoggedEvent) => void> = [];
  private relay: ((signal: Signal) => void) | null = null;
  private readonly signalListeners: Array<(signal: Signal) => void> = [];
  /** The last events published, each with lastPublished before it (see publishedAfter). */
  private readonly recent: Array<{ after: number; event: LoggedEvent }> = [];
  /** Every logged event up to this seq has been published. */
  lastPublished = 0;
  delivered = 0;
  /** Events delivered from the log because their publish never came (another node's, without Redis). */
  filledFromLog = 0;
  /** Answers waiting for the end of this turn's microtasks, per socket, in the order given (see answerSoon). */
  private readonly answers = new Map<Socket, string[]>();

  constructor(private readonly log: Logger) {}

  attach(server: Server<any> | null) {
    this.server = server;
  }

  /** Reads committed events after a seq (and before another) from the event log: how gaps are filled. */
  private readLog: ((after: number, before: number) => Promise<LoggedEvent[]>) | null = null;
  /** The catch-up running now, if any: one at a time, so two never deliver the same events. */
  private catchingUp: Promise<number> | null = null;

  setLogReader(read: (after: number, before: number) => Promise<LoggedEvent[]>) {
    this.readLog = read;
  }

  /**
   * Publishes committed events strictly in seq order. An event at or below lastPublished was delivered already (from
   * the log, when it filled a hole) and is dropped. A hole below a committed event is final: one writer at a time
   * appends to the log (SQLite's write lock, PostgreSQL's advisory lock, see core/commit.ts), so whatever fills it was
   * committed earlier — another node's event whose notice is late or lost — or never will be (a seq that a
   * rolled-back transaction took: PostgreSQL's sequences do not roll back). So the log is read for it at once.
   */
  publish(event: LoggedEvent) {
    if (event.seq <= this.lastPublished) return;
    this.waiting.set(event.seq, event);
    this.drain();
    if (this.waiting.size) void this.fillGaps();
  }

  private async fillGaps() {
    if (this.fillingGap) return;
    this.fillingGap = true;
    try {
      while (this.waiting.size) {
        for (const seq of this.waiting.keys()) if (seq <= this.lastPublished) this.waiting.delete(seq); // delivered meanwhile
        if (!this.waiting.size) break;
        const before = Math.min(...this.waiting.keys());
        const filled = await this.catchUp(before).catch((error) => {
          if (!isDatabaseUnreachable(error)) {
            this.log.warn("reading the event log failed", { error: String(error) });
            return 0;
          }
          return null;
        });
        // While the database is away the hole stays, read again until it can be: skipping it would lose what fills it.
        if (filled === null) {
          await Bun.sleep(LOG_RETRY_MS);
          continue;
        }
        if (this.lastPublished < before - 1) this.log.debug("event log hole skipped", { after: this.lastPublished, before, filled });
        this.lastPublished = Math.max(this.lastPublished, before - 1);
        this.drain();
      }
    } finally {
      this.fillingGap = false;
    }
  }

  /** Delivers, from the log, every committed event after lastPublished (and before `before`); returns how many. */
  async catchUp(before = Number.MAX_SAFE_INTEGER): Promise<number> {
    while (this.catchingUp) await this.catchingUp.catch(() => 0);
    this.catchingUp = this.readLogAfter(before);
    try {
      return await this.catchingUp;
    } finally {
      this.catchingUp = null;
    }
  }

  private async readLogAfter(before: number): Promise<number> {
    const events = (await this.readLog?.(this.lastPublished, before)) ?? [];
    let filled = 0;
    for (const event of events) {
      if (event.seq <= this.lastPublished) continue; // published while the log was being read
      this.waiting.delete(event.seq);
      this.advance(event);
      filled++;
    }
    this.filledFromLog += filled;
    this.drain();
    return filled;
  }

  private drain() {
    let next: LoggedEvent | undefined;
    while ((next = this.waiting.get(this.lastPublished + 1))) {
      this.waiting.delete(next.seq);
      this.advance(next);
    }
  }

  /** Publishes the next event in seq order, and keeps it among the recent ones. */
  private advance(event: LoggedEvent) {
    // Without its data (publishedAfter's readers replay frames): a send's view need not outlive its delivery.
    this.recent.push({ after: this.lastPublished, event: { ...event, data: null } });
    if (this.recent.length > 2 * RECENT_EVENTS) this.recent.splice(0, RECENT_EVENTS);
    this.lastPublished = event.seq;
    this.deliver(event);
  }

  /**
   * Every event published after `after`, in order (without its data: `data` is null), if this node still holds them all in memory; null when it cannot
   * be sure (too long ago, or lastPublished moved without publishing: a hole skipped, an import) — read the log then.
   * For a socket that read the log up to `after`: what was published while it read, without another read.
   */
  publishedAfter(after: number): LoggedEvent[] | null {
    if (after === this.lastPublished) return [];
    let i = this.recent.length;
    while (i > 0 && this.recent[i - 1]!.event.seq > after) i--;
    const since = this.recent.slice(i);
    if (since.length === 0 || since[0]!.after > after || since.at(-1)!.event.seq !== this.lastPublished) return null;
    for (let k = 1; k < since.length; k++) if (since[k]!.after !== since[k - 1]!.event.seq) return null;
    return since.map((entry) => entry.event);
  }

  /** Calls `listener` for every event as it is published (caches of derived state forget what changed). */
  onDeliver(listener: (event: LoggedEvent) => void) {
    this.deliverListeners.push(listener);
  }

  private deliver(event: LoggedEvent) {
    for (const listener of this.deliverListeners) listener(event);
    const topic = conversationTopic(event.conversation_id);
    // Membership changes move the user's live sockets first, so a joiner hears its own join and a leaver hears nothing more.
    if (event.type === "member.joined" && event.user_id !== null) this.subscribeUser(event.user_id, topic);
    if (event.type === "member.left" && event.user_id !== null) this.unsubscribeUser(event.user_id, event.conversation_id);
    const server = this.server;
    if (!server) return;
    if (event.private) {
      this.delivered += this.sendToUser(event.user_id!, event.frame);
      return;
    }
    this.delivered += server.publish(topic, event.frame) > 0 ? server.subscriberCount(topic) : 0;
    if (event.type === "member.left" && event.user_id !== null) this.sendToUser(event.user_id, event.frame);
    if (event.type === "message.created") {
      const legacy = legacyTopic(event.conversation_id);
      if (server.subscriberCount(legacy) > 0) {
        const message = event.data as { message: string; sender_username: string };
        server.publish(legacy, JSON.stringify({ message: message.message, sender: message.sender_username }));
      }
    }
  }

  /**
   * Sends `frame` to `socket` once the current microtasks have run, with the other answers given meanwhile: a group
   * commit settles its sends together, and each socket then gets its acks in one write (a cork) instead of a system
   * call each, which cost about as much as the rest of a send's delivery. The order of one socket's answers is kept.
   */
  answerSoon(socket: Socket, frame: string) {
    const queued = this.answers.get(socket);
    if (queued) return void queued.push(frame);
    if (this.answers.size === 0) queueMicrotask(() => this.sendAnswers());
    this.answers.set(socket, [frame]);
  }

  private sendAnswers() {
    const answers = [...this.answers];
    this.answers.clear(); // first: a send that throws must not leave later answers waiting for a flush never scheduled
    for (const [socket, frames] of answers) {
      if (frames.length === 1) socket.send(frames[0]!);
      else
        socket.cork(() => {
          for (const frame of frames) socket.send(frame);
        });
    }
  }

  /** Sends one frame to users' personal topics (presence), on every node. */
  sendToUsers(userIds: number[], frame: string) {
    this.applySignal({ kind: "users", user_ids: userIds, frame });
    this.relay?.({ kind: "users", user_ids: userIds, frame });
  }

  /**
   * Sends a frame to a user's sockets on this node (not those of the original's endpoint); returns how many took it.
   * Sent, not published to a topic of the user's: a topic per user cost each socket ~0.5 KiB, and uWebSockets sends
   * what a socket's topics hold before anything sent to it directly, so the order stays the order of the calls.
   */
  private sendToUser(userId: number, frame: string): number {
    let sent = 0;
    for (const socket of this.sockets.get(userId) ?? []) if (socket.data.legacyConversation === null && socket.send(frame) !== 0) sent++;
    return sent;
  }

  private subscribeUser(userId: number, topic: string) {
    for (const socket of this.sockets.get(userId) ?? []) if (socket.data.legacyConversation === null) socket.subscribe(topic);
  }

  private unsubscribeUser(userId: number, conversationId: number) {
    for (const socket of this.sockets.get(userId) ?? []) {
      socket.unsubscribe(conversationTopic(conversationId));
      if (socket.data.legacyConversation === conversationId) socket.close(1008, "No longer a member");
    }
  }

  /** Registers a socket; true when it is the user's first (they just came online). */
  add(socket: Socket): boolean {
    const userId = socket.data.user.id;
    const list = this.sockets.get(userId);
    if (list) list.push(socket);
    else this.sockets.set(userId, [socket]);
    return !list;
  }

  /** Forgets a socket; true when it was the user's last (they just went offline). */
  remove(socket: Socket): boolean {
    const userId = socket.data.user.id;
    const list = this.sockets.get(userId);
    const at = list?.indexOf(socket) ?? -1;
    if (at < 0) return false;
    if (list!.length > 1) {
      list!.splice(at, 1);
      return false;
    }
    this.sockets.delete(userId);
    return true;
  }

  /** Whether the socket is registered (set up, and not closed since). */
  has(socket: Socket): boolean {
    return this.sockets.get(socket.data.user.id)?.includes(socket) ?? false;
  }

  isOnline(userId: number): boolean {
    return this.sockets.has(userId);
  }

  /** Users with a socket on this node. */
  onlineUsers(): IterableIterator<number> {
    return this.sockets.keys();
  }

  get connectionCount(): number {
    let n = 0;
    for (const list of this.sockets.values()) n += list.length;
    return n;
  }

  /** Closes every socket of a user (logout, deactivation, deletion), or those of one login (`family`), on every node. */
  disconnectUser(userId: number, code = 1008, reason = "Session ended", family?: string) {
    const signal: Signal = { kind: "disconnect", user_id: userId, code, reason, family };
    this.applySignal(signal);
    this.relay?.(signal);
  }

  /** Sends a typing frame to a conversation's sockets, on every node (`from`: the typist's socket, left out). */
  sendTyping(conversationId: number, frame: string, from?: Socket) {
    if (from) from.publish(conversationTopic(conversationId), frame);
    else this.applySignal({ kind: "typing", conversation_id: conversationId, frame });
    this.relay?.({ kind: "typing", conversation_id: conversationId, frame });
  }

  /** Hands signals for this node's sockets to the other nodes (set by the Redis transport). */
  setRelay(relay: (signal: Signal) => void) {
    this.relay = relay;
  }

  /** Hears every signal this node acts on, its own and other nodes' (app.ts: the caller cache forgets a disconnected user). */
  onSignal(listener: (signal: Signal) => void) {
    this.signalListeners.push(listener);
  }

  /** Acts on a signal, for this node's sockets only (from this node, or from another through the transport). */
  applySignal(signal: Signal) {
    for (const listener of this.signalListeners) listener(signal);
    if (signal.kind === "disconnect") {
      for (const socket of [...(this.sockets.get(signal.user_id) ?? [])]) {
        if (signal.family === undefined || socket.data.family === signal.family) socket.close(signal.code, signal.reason);
      }
    } else if (signal.kind === "users") for (const id of signal.user_ids) this.sendToUser(id, signal.frame);
    else this.server?.publish(conversationTopic(signal.conversation_id), signal.frame);
  }

  /**
   * Closes sockets whose unsent output passed `limitBytes` with 1013: Bun drops publishes to a socket over its
   * backpressure limit, so a slow consumer is told to reconnect and resume with `since` rather than miss events.
   */
  closeSlowConsumers(limitBytes: number): number {
    let closed = 0;
    for (const list of this.sockets.values()) {
      for (const socket of [...list]) {
        if (socket.getBufferedAmount() > limitBytes) {
          socket.close(1013, "Too slow; reconnect and resume with since");
          closed++;
        }
      }
    }
    return closed;
  }

  /** Closes every socket (shutdown). */
  disconnectAll(code = 1001, reason = "Server shutting down") {
    for (const list of [...this.sockets.values()]) for (const socket of [...list]) socket.close(code, reason);
  }
}
