// The client's state, with no DOM and no network: views read it and subscribe, and every change is announced
// as a Change so each view redraws only its own part.
import type { SocketState } from "../client";
import type { Conversation, Message } from "./types";

export interface PendingMessage {
  client_id: string;
  conversation_id: number;
  text: string;
  file: File | null;
  /** The message this one answers (a reply in a thread). */
  reply_to?: number;
  /** A blob: URL showing the image being sent before the server has it. */
  previewUrl: string | null;
  status: "sending" | "failed";
  progress: number;
  error: string;
  retryable: boolean;
  attempts: number;
}

export interface History {
  /** Confirmed messages, oldest first. */
  messages: Message[];
  /** The newest page has been fetched (before that, only live arrivals are held). */
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
}

export type Change =
  | { kind: "list" }
  /** The list was fetched again (names, members, counts). */
  | { kind: "conversations" }
  | { kind: "presence" }
  | { kind: "members"; conversationId: number | undefined }
  | { kind: "forgotten"; conversationId: number }
  /** A whole history to show (null: loading); `newest` when the newest page has just arrived. */
  | { kind: "history"; conversationId: number; messages: Message[] | null; pending: PendingMessage[]; newest?: boolean }
  | { kind: "older"; conversationId: number; older: Message[]; hasOlder: boolean }
  | { kind: "loading-older"; conversationId: number; loading: boolean }
  | { kind: "message"; message: Message }
  /** Someone else's new message arrived live (not a history load, an edit or my own send). */
  | { kind: "arrived"; message: Message }
  | { kind: "pending"; pending: PendingMessage }
  | { kind: "progress"; pending: PendingMessage }
  /** A pending message left: confirmed (its preview revoked once the stored one shows) or discarded. */
  | { kind: "pending-gone"; conversationId: number; clientId: string; previewUrl: string | null }
  | { kind: "typing"; conversationId: number }
  | { kind: "read-markers"; conversationId: number }
  | { kind: "error"; conversationId: number; text: string }
  /** A notice for the whole app; it goes when the user moves away from `at` (default: where they are now). */
  | { kind: "notice"; text: string; at?: string }
  | { kind: "connection"; state: SocketState };

export class ChatStore {
  conversations = new Map<number, Conversation>();
  readonly unread = new Map<number, number>();
  readonly presence = new Map<number, "online" | "offline">();
  readonly histories = new Map<number, History>();
  readonly pending = new Map<string, PendingMessage>();
  readonly typing = new Map<number, Map<number, { username: string; until: number }>>();
  /** The newest message my read marker was moved to, per conversation. */
  readonly readSent = new Map<number, number>();
  /** What was typed but not sent, per conversation (kept while switching). */
  readonly drafts = new Map<number, string>();
  /** The conversation the URL opens (null: none). */
  openId: number | null = null;
  listLoaded = false;
  listStatus = "Loading conversations…";
  connection: SocketState = "stopped";
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(readonly me: { id: number; username: string }) {}

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: Change) {
    for (const listener of this.listeners) listener(change);
  }

  isOnline(userId: number): boolean {
    return userId === this.me.id ? this.connection === "open" : this.presence.get(userId) === "online";
  }

  /** What the title and icon badge: unread messages, or only mentions where muted (the server's notification_count). */
  totalUnread(): number {
    let total = 0;
    for (const [id, n] of this.unread) {
      const c = this.conversations.get(id);
      total += c?.muted ? Math.min(n, c.mention_count) : n;
    }
    return total;
  }

  history(id: number): History {
    let history = this.histories.get(id);
    if (!history) this.histories.set(id, (history = { messages: [], loaded: false, hasOlder: true, loadingOlder: false }));
    return history;
  }

  hasOlder(id: number): boolean {
    return this.histories.get(id)?.hasOlder ?? false;
  }

  pendingOf(conversationId: number): PendingMessage[] {
    return [...this.pending.values()].filter((p) => p.conversation_id === conversationId);
  }

  typingIn(conversationId: number): string[] {
    const now = Date.now();
    return [...(this.typing.get(conversationId)?.values() ?? [])].filter((t) => t.until > now).map((t) => t.username);
  }

  /** Adds or replaces a confirmed message in its history (kept in id order). */
  put(message: Message): "added" | "updated" {
    const list = this.history(message.conversation_id).messages;
    const at = list.findIndex((m) => m.id === message.id);
    if (at >= 0) {
      list[at] = message;
      return "updated";
    }
    let index = list.length;
    while (index > 0 && list[index - 1]!.id > message.id) index--;
    list.splice(index, 0, message);
    return "added";
  }

  /** A stored message, from the send's answer or from the socket, whichever comes first. */
  confirm(message: Message) {
    const p = message.client_id ? this.pending.get(message.client_id) : undefined;
    if (p && message.sender === this.me.id) {
      this.pending.delete(p.client_id);
      this.emit({ kind: "pending-gone", conversationId: p.conversation_id, clientId: p.client_id, previewUrl: p.previewUrl });
    }
    if (this.put(message) === "added" && message.reply_to) this.countReply(message, 1);
    this.emit({ kind: "message", message });
    const conversation = this.conversations.get(message.conversation_id);
    if (conversation && (!conversation.last_message || conversation.last_message.id <= message.id)) {
      conversation.last_message = message;
      this.emit({ kind: "list" });
    }
  }

  /** A message held in its conversation's history. */
  findMessage(conversationId: number, id: number): Message | undefined {
    return this.histories.get(conversationId)?.messages.find((m) => m.id === id);
  }

  /** A reply arrived or went: its parent's count follows. */
  countReply(reply: Message, change: 1 | -1) {
    const parent = this.findMessage(reply.conversation_id, reply.reply_to ?? 0);
    if (!parent) return;
    parent.reply_count = Math.max(0, parent.reply_count + change);
    this.emit({ kind: "message", message: parent });
  }

  upsertConversation(conversation: Conversation) {
    this.conversations.set(conversation.id, { ...this.conversations.get(conversation.id), ...conversation });
    this.listStatus = "";
    this.emit({ kind: "list" });
  }

  forget(id: number) {
    this.conversations.delete(id);
    this.histories.delete(id);
    this.unread.delete(id);
    this.emit({ kind: "list" });
    this.emit({ kind: "forgotten", conversationId: id });
  }

  select(id: number | null) {
    this.openId = id;
    this.emit({ kind: "list" });
  }
}
