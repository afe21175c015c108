// The app's talk with the server, through the typed client (src/client/): REST fetches and the /ws connection,
// whose answers and events go into the store (views only ever read the store).
import type { ParleyClient, ParleySocket, SocketState } from "../client";
import { type FrameContext, receiveFrame } from "./frames";
import { Outbox } from "./outbox";
import type { ChatStore } from "./store";
import type { Conversation, Frame } from "./types";
import { messageOf } from "./words";

const PAGE_SIZE = 30;

export class ChatClient implements FrameContext {
  readonly outbox: Outbox;
  private readonly live: ParleySocket;
  private queued: Frame[] = [];
  private listRefresh: Promise<void> | null = null;

  constructor(
    private readonly api: ParleyClient,
    readonly store: ChatStore,
    /** The conversation is open, on screen and scrolled to its newest message (the views know). */
    readonly isReading: (conversationId: number) => boolean,
  ) {
    this.live = api.socket();
    this.outbox = new Outbox(api, this.live, store);
    // Events that arrive before the list is loaded wait for it: they refer to its conversations.
    this.live.on(
      "frame",
      (frame) => frame.type !== "hello" && frame.type !== "resync" && (store.listLoaded ? receiveFrame(this, frame) : this.queued.push(frame)),
    );
    this.live.on("state", (state) => this.connectionChanged(state));
    this.live.on("resync", () => void this.resync());
  }

  /** Connects and loads the list; resolves once the list is there and held-back events have been applied. */
  async start() {
    this.live.start();
    await this.loadConversations();
    this.store.listLoaded = true;
    const queued = this.queued;
    this.queued = [];
    for (const frame of queued) receiveFrame(this, frame);
  }

  stop() {
    this.live.stop();
    this.outbox.close();
  }

  private connectionChanged(state: SocketState) {
    this.store.connection = state;
    this.store.emit({ kind: "connection", state });
    if (state === "open") this.outbox.retryFailed();
  }

  // ---- conversations ----

  private async loadConversations() {
    const { store } = this;
    try {
      const list = await this.api.conversations();
      store.conversations = new Map(list.map((c) => [c.id, c]));
      for (const c of list) {
        // The server's count, except for the conversation being read right now (its read marker may be in flight).
        if (typeof c.unread_count === "number") store.unread.set(c.id, this.isReading(c.id) ? 0 : c.unread_count);
      }
      store.listStatus = list.length ? "" : "No conversations yet.";
      store.emit({ kind: "conversations" });
      void this.loadPresence();
    } catch (error) {
      store.listStatus = `Could not load conversations: ${messageOf(error)}`;
      store.emit({ kind: "list" });
    }
  }

  /** Refetches the list (members and names changed); concurrent callers share one request. */
  refreshConversations(): Promise<void> {
    this.listRefresh ??= this.loadConversations().finally(() => (this.listRefresh = null));
    return this.listRefresh;
  }

  /** A conversation this client just made or found (a direct chat). */
  addConversation(conversation: Conversation) {
    this.store.upsertConversation(conversation);
    void this.loadPresence();
  }

  private async loadPresence() {
    const { store } = this;
    const ids = [...new Set([...store.conversations.values()].flatMap((c) => c.members.map((m) => m.id)))].filter((id) => id !== store.me.id).slice(0, 200);
    if (!ids.length) return;
    try {
      const statuses = await this.api.presence(ids);
      for (const s of statuses) store.presence.set(s.user_id, s.status);
      store.emit({ kind: "presence" });
    } catch {}
  }

  /** Leaves a group; a refusal is shown in the pane and returned in words (null: left). */
  async leave(conversation: Conversation): Promise<string | null> {
    try {
      await this.api.leaveGroup(conversation.id);
      this.store.forget(conversation.id);
      this.store.emit({ kind: "notice", text: `You left ${conversation.name}.`, at: "#/" });
      return null;
    } catch (error) {
      this.store.emit({ kind: "error", conversationId: conversation.id, text: messageOf(error) });
      return messageOf(error);
    }
  }

  // ---- history ----

  /** The newest page; merged with what is already held (live messages that arrived first stay). */
  async loadNewest(id: number) {
    const { store } = this;
    try {
      const page = await this.api.messages(id, { limit: PAGE_SIZE });
      const history = store.history(id);
      if (!history.loaded) {
        history.hasOlder = page.length === PAGE_SIZE;
        // Live arrivals held from before, older than a full page, would leave a gap: older pages bring them back.
        if (history.hasOlder) history.messages = history.messages.filter((m) => m.id >= page.at(-1)!.id);
      }
      history.loaded = true;
      for (const m of page) store.put(m);
      store.emit({ kind: "history", conversationId: id, messages: history.messages, pending: store.pendingOf(id), newest: true });
    } catch (error) {
      store.emit({ kind: "error", conversationId: id, text: `Could not load messages: ${messageOf(error)}` });
    }
  }

  async loadOlder(id: number) {
    const { store } = this;
    const history = store.histories.get(id);
    if (!history?.loaded || !history.hasOlder || history.loadingOlder || !history.messages.length) return;
    history.loadingOlder = true;
    store.emit({ kind: "loading-older", conversationId: id, loading: true });
    try {
      const oldest = history.messages[0]!.id;
      const page = await this.api.messages(id, { before: oldest, limit: PAGE_SIZE });
      history.hasOlder = page.length === PAGE_SIZE;
      const older = page.filter((m) => !history.messages.some((k) => k.id === m.id)).reverse();
      history.messages.unshift(...older);
      store.emit({ kind: "older", conversationId: id, older, hasOlder: history.hasOlder });
    } catch (error) {
      store.emit({ kind: "error", conversationId: id, text: `Could not load older messages: ${messageOf(error)}` });
    } finally {
      history.loadingOlder = false;
      store.emit({ kind: "loading-older", conversationId: id, loading: false });
    }
  }

  /** A file's signed URL again (the one in the message lives minutes). */
  async fileUrl(messageId: number): Promise<string> {
    return (await this.api.fileInfo(messageId)).file_url;
  }

  /** The event log no longer reaches back to where this client stopped: reload what is shown. */
  private async resync() {
    const { store } = this;
    store.histories.clear();
    await this.refreshConversations();
    if (store.openId !== null) {
      store.emit({ kind: "history", conversationId: store.openId, messages: null, pending: store.pendingOf(store.openId) });
      await this.loadNewest(store.openId);
    }
  }

  // ---- reading and typing ----

  /** Moves my read marker to the newest message of the open conversation, once it is really seen. */
  markRead(id: number) {
    const { store } = this;
    if (!this.isReading(id)) return;
    const newest = store.histories.get(id)?.messages.at(-1)?.id;
    if (store.unread.get(id)) {
      store.unread.set(id, 0);
      const conversation = store.conversations.get(id);
      if (conversation) conversation.mention_count = 0;
      store.emit({ kind: "list" });
    }
    if (!newest || newest <= (store.readSent.get(id) ?? 0)) return;
    store.readSent.set(id, newest);
    this.live.read(id, newest);
  }

  sendTyping(conversationId: number) {
    this.live.typing(conversationId);
  }
}
