// The logged-in app: the conversation list, the open conversation, and the live events that keep both current.
import { type Api, ApiError } from "./api";
import { ConversationPane, type PendingMessage } from "./conversation";
import { field, formatTime, h, replace } from "./dom";
import { Live, type LiveState } from "./live";
import type { Conversation, DirectoryGroup, Frame, Message, User } from "./types";

const PAGE_SIZE = 30;
const TYPING_SHOWN_MS = 4_000;

interface History {
  /** Confirmed messages, oldest first. */
  messages: Message[];
  /** The newest page has been fetched (before that, only live arrivals are held). */
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
}

export class Chat {
  readonly me: { id: number; username: string };
  private readonly live: Live;
  private conversations = new Map<number, Conversation>();
  private readonly unread = new Map<number, number>();
  private readonly presence = new Map<number, "online" | "offline">();
  private readonly histories = new Map<number, History>();
  private readonly pending = new Map<string, PendingMessage>();
  private readonly typing = new Map<number, Map<number, { username: string; until: number }>>();
  private readonly readSent = new Map<number, number>();
  private readonly unsentReads = new Map<number, number>();
  /** What was typed but not sent, per conversation (kept while switching). */
  readonly drafts = new Map<number, string>();
  private listLoaded = false;
  private queued: Frame[] = [];
  private openId: number | null = null;
  private pane: ConversationPane | null = null;
  private listRefresh: Promise<void> | null = null;
  private listRenderQueued = false;

  // Layout
  private readonly shell: HTMLElement;
  private readonly list = h("ul", { class: "conversation-list" });
  private readonly listStatus = h("p", { class: "muted list-status" }, "Loading conversations…");
  private readonly connection = h("p", { class: "connection", role: "status" });
  private readonly notice = h("p", { class: "notice", role: "alert" });
  private readonly main = h("section", { class: "pane", "aria-label": "Conversation" });
  private readonly panel = h("div", { class: "panel" });

  constructor(
    readonly api: Api,
    private readonly root: HTMLElement,
  ) {
    this.me = { id: api.session!.user.id, username: api.session!.user.username };
    this.live = new Live(api, {
      event: (frame) => (this.listLoaded ? this.handle(frame) : this.queued.push(frame)),
      state: (state) => this.connectionChanged(state),
      resync: () => void this.resync(),
    });
    this.shell = this.layout();
    document.addEventListener("visibilitychange", this.onVisible);
  }

  mount() {
    replace(this.root, this.shell);
    this.live.start();
    void this.loadConversations().then(() => {
      this.listLoaded = true;
      const queued = this.queued;
      this.queued = [];
      for (const frame of queued) this.handle(frame);
      this.route();
    });
  }

  destroy() {
    this.live.stop();
    this.pane?.destroy();
    document.removeEventListener("visibilitychange", this.onVisible);
    for (const p of this.pending.values()) if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
  }

  private onVisible = () => {
    if (document.visibilityState === "visible" && this.openId !== null) this.markRead(this.openId);
  };

  // ---- layout ----

  private layout(): HTMLElement {
    const logout = h("button", { type: "button", class: "quiet", onclick: () => void this.logout() }, "Log out");
    const header = h("header", { class: "sidebar-header" }, h("h1", { class: "brand" }, "Parley"), h("span", { class: "me" }, `@${this.me.username}`), logout);
    const direct = this.directForm();
    const actions = h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => this.showNewGroup() }, "New group"),
      h("button", { type: "button", onclick: () => void this.showDirectory() }, "Browse groups"),
    );
    const sidebar = h(
      "aside",
      { class: "sidebar" },
      header,
      this.connection,
      direct,
      actions,
      this.panel,
      h("nav", { "aria-label": "Conversations" }, h("h2", { class: "visually-hidden" }, "Conversations"), this.listStatus, this.list),
    );
    return h("div", { class: "chat" }, sidebar, h("main", { class: "main" }, this.notice, this.main));
  }

  /** The location the notice belongs to: it goes when the user moves elsewhere. */
  private noticeAt = "";

  private showNotice(text: string, at = location.hash) {
    this.notice.textContent = text;
    this.noticeAt = at;
  }

  private connectionChanged(state: LiveState) {
    this.connection.textContent = state === "reconnecting" ? "Reconnecting…" : state === "connecting" ? "Connecting…" : "";
    this.shell.classList.toggle("offline", state === "reconnecting");
    if (state === "open") {
      for (const [conversationId, messageId] of this.unsentReads) {
        if (this.live.send({ type: "read", conversation_id: conversationId, message_id: messageId })) this.unsentReads.delete(conversationId);
      }
      for (const p of this.pending.values()) if (p.status === "failed" && p.retryable) void this.attemptSend(p);
    }
  }

  private directForm(): HTMLElement {
    const username = field("Username", h("input", { name: "username", autocomplete: "off", required: true, placeholder: "who to talk to" }));
    const submit = h("button", { type: "submit" }, "Start chat");
    const form = h("form", { class: "direct-form" }, h("h2", {}, "New conversation"), username.wrapper, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      username.error.textContent = "";
      const name = username.input.value.trim();
      if (!name) {
        username.error.textContent = "Enter a username.";
        return;
      }
      submit.disabled = true;
      try {
        const user = await this.api.request<User>("GET", `/api/users/lookup/?username=${encodeURIComponent(name)}`);
        const conversation = await this.api.request<Conversation>("POST", "/api/conversations/direct/", { body: { user_id: user.id } });
        this.upsertConversation(conversation);
        username.input.value = "";
        this.navigate(conversation.id);
      } catch (error) {
        username.error.textContent = error instanceof ApiError && error.status === 404 ? `No user called “${name}”.` : messageOf(error);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  private closePanel() {
    replace(this.panel);
  }

  private showNewGroup() {
    const name = field("Group name", h("input", { name: "name", required: true, maxlength: 100 }));
    const members = field("Members to add (comma-separated)", h("input", { name: "members", autocomplete: "off" }));
    const status = h("p", { class: "form-error", role: "alert" });
    const submit = h("button", { type: "submit", class: "primary" }, "Create group");
    const form = h(
      "form",
      { class: "group-form" },
      h("h2", {}, "New group"),
      name.wrapper,
      members.wrapper,
      status,
      h("div", { class: "row" }, submit, h("button", { type: "button", class: "quiet", onclick: () => this.closePanel() }, "Cancel")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      submit.disabled = true;
      try {
        const names = members.input.value.split(/[\s,]+/).map((n) => n.replace(/^@/, "")).filter(Boolean);
        const ids: number[] = [];
        for (const username of names) {
          const user = await this.api.request<User>("GET", `/api/users/lookup/?username=${encodeURIComponent(username)}`).catch((error) => {
            throw error instanceof ApiError && error.status === 404 ? new ApiError(404, `No user called “${username}”.`) : error;
          });
          ids.push(user.id);
        }
        const group = await this.api.request<{ id: number }>("POST", "/api/groups/create/", { body: { name: name.input.value, members: ids } });
        this.closePanel();
        await this.refreshConversations();
        this.navigate(group.id);
      } catch (error) {
        status.textContent = messageOf(error);
      } finally {
        submit.disabled = false;
      }
    });
    replace(this.panel, form);
    name.input.focus();
  }

  private async showDirectory() {
    const search = field("Search groups", h("input", { type: "search", name: "q", autocomplete: "off" }));
    const results = h("ul", { class: "directory" });
    const status = h("p", { class: "form-error", role: "alert" });
    const section = h(
      "section",
      { class: "directory-panel", "aria-label": "Groups" },
      h("h2", {}, "Groups"),
      search.wrapper,
      status,
      results,
      h("button", { type: "button", class: "quiet", onclick: () => this.closePanel() }, "Close"),
    );
    replace(this.panel, section);
    search.input.focus();
    let searchTimer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      status.textContent = "";
      try {
        const groups = await this.api.request<DirectoryGroup[]>("GET", `/api/groups/directory/?limit=50&q=${encodeURIComponent(search.input.value.trim())}`);
        replace(results, ...groups.map((group) => this.directoryItem(group, status)));
        if (!groups.length) results.append(h("li", { class: "muted" }, "No groups found."));
      } catch (error) {
        status.textContent = messageOf(error);
      }
    };
    search.input.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => void load(), 250);
    });
    await load();
  }

  private directoryItem(group: DirectoryGroup, status: HTMLElement): HTMLElement {
    const nameId = `group-name-${group.id}`;
    const label = h("span", { id: nameId, class: "group-name" }, group.name);
    const count = h("span", { class: "muted" }, `${group.member_count} member${group.member_count === 1 ? "" : "s"}`);
    if (group.is_member) return h("li", {}, h("a", { href: `#/c/${group.id}`, id: nameId }, group.name), count);
    const join = h("button", { type: "button", "aria-describedby": nameId }, "Join");
    join.addEventListener("click", async () => {
      join.disabled = true;
      try {
        await this.api.request("POST", `/api/groups/${group.id}/join/`);
        this.closePanel();
        await this.refreshConversations();
        this.navigate(group.id);
      } catch (error) {
        status.textContent = messageOf(error);
        join.disabled = false;
      }
    });
    return h("li", {}, label, count, join);
  }

  private async logout() {
    const session = this.api.session;
    if (session) await this.api.request("POST", "/api/logout/", { body: { refresh: session.refresh } }).catch(() => {});
    this.api.end("You have logged out.");
  }

  // ---- routing ----

  route() {
    const match = /^#\/c\/(\d+)$/.exec(location.hash);
    const id = match ? Number(match[1]) : null;
    this.shell.classList.toggle("has-open", id !== null);
    if (!this.listLoaded) return;
    if (id === this.openId && this.pane) return;
    this.pane?.destroy();
    this.pane = null;
    this.openId = id;
    if (this.noticeAt !== location.hash) this.notice.textContent = "";
    this.renderList();
    if (id === null) {
      replace(this.main, h("div", { class: "empty" }, h("h2", {}, "No conversation open"), h("p", {}, "Pick a conversation, start one with a username, or join a group.")));
      return;
    }
    const conversation = this.conversations.get(id);
    if (!conversation) {
      replace(this.main, h("div", { class: "empty" }, h("h2", {}, "Conversation not found"), h("p", {}, "It may have been left or never existed."), h("a", { href: "#/" }, "Back to conversations")));
      return;
    }
    this.pane = new ConversationPane(this, conversation);
    replace(this.main, this.pane.element);
    const history = this.histories.get(id);
    this.pane.showHistory(history?.loaded ? history.messages : null, this.pendingOf(id));
    void this.loadNewest(id);
    // Desktop: straight to typing. Phone: to the heading, so a screen reader announces where you are.
    if (matchMedia("(min-width: 700px)").matches) this.pane.focusComposer();
    else this.pane.focusHeading();
  }

  private navigate(id: number) {
    if (location.hash === `#/c/${id}`) this.route();
    else location.hash = `#/c/${id}`;
  }

  // ---- conversations ----

  private async loadConversations() {
    try {
      const list = await this.api.request<Conversation[]>("GET", "/api/conversations/");
      this.conversations = new Map(list.map((c) => [c.id, c]));
      for (const c of list) {
        // The server's count, except for the conversation being read right now (its read marker may be in flight).
        if (typeof c.unread_count === "number") this.unread.set(c.id, c.id === this.openId && this.pane?.atBottom() && document.visibilityState === "visible" ? 0 : c.unread_count);
      }
      this.listStatus.textContent = list.length ? "" : "No conversations yet.";
      this.renderList();
      if (this.openId !== null) this.pane?.update(this.conversations.get(this.openId));
      void this.loadPresence();
    } catch (error) {
      this.listStatus.textContent = `Could not load conversations: ${messageOf(error)}`;
    }
  }

  /** Refetches the list (members and names changed); concurrent callers share one request. */
  refreshConversations(): Promise<void> {
    this.listRefresh ??= this.loadConversations().finally(() => (this.listRefresh = null));
    return this.listRefresh;
  }

  private upsertConversation(conversation: Conversation) {
    this.conversations.set(conversation.id, { ...this.conversations.get(conversation.id), ...conversation });
    this.listStatus.textContent = "";
    this.renderList();
    void this.loadPresence();
  }

  private async loadPresence() {
    const ids = [...new Set([...this.conversations.values()].flatMap((c) => c.members.map((m) => m.id)))].filter((id) => id !== this.me.id).slice(0, 200);
    if (!ids.length) return;
    try {
      const statuses = await this.api.request<{ user_id: number; status: "online" | "offline" }[]>("GET", `/api/presence/?user_ids=${ids.join(",")}`);
      for (const s of statuses) this.presence.set(s.user_id, s.status);
      this.renderList();
      this.pane?.renderHeader();
    } catch {}
  }

  isOnline(userId: number): boolean {
    return userId === this.me.id ? this.live.state === "open" : this.presence.get(userId) === "online";
  }

  private activity(c: Conversation): number {
    return Date.parse(c.last_message?.timestamp ?? c.created_at);
  }

  private renderList() {
    if (this.listRenderQueued) return;
    this.listRenderQueued = true;
    queueMicrotask(() => {
      this.listRenderQueued = false;
      const focused = document.activeElement instanceof HTMLElement && this.list.contains(document.activeElement) ? document.activeElement.dataset.id : undefined;
      const sorted = [...this.conversations.values()].sort((a, b) => this.activity(b) - this.activity(a) || b.id - a.id);
      replace(this.list, ...sorted.map((c) => this.listItem(c)));
      if (focused) this.list.querySelector<HTMLElement>(`[data-id="${focused}"]`)?.focus();
      document.title = this.totalUnread() ? `(${this.totalUnread()}) Parley` : "Parley";
    });
  }

  private totalUnread(): number {
    let total = 0;
    for (const n of this.unread.values()) total += n;
    return total;
  }

  private listItem(c: Conversation): HTMLElement {
    const unread = this.unread.get(c.id) ?? 0;
    const other = c.kind === "direct" ? c.members[0] : undefined;
    const online = other ? this.isOnline(other.id) : false;
    const last = c.last_message;
    const preview = last ? (last.deleted ? "Message deleted" : last.message || (last.attachment ? `📎 ${last.attachment.name}` : "")) : "No messages yet";
    const link = h(
      "a",
      { href: `#/c/${c.id}`, "data-id": String(c.id), "aria-current": this.openId === c.id ? "page" : null, class: unread ? "unread" : null },
      h(
        "span",
        { class: "line" },
        c.kind === "direct"
          ? h("span", { class: `dot ${online ? "online" : "offline"}`, role: "img", "aria-label": online ? "online" : "offline" })
          : h("span", { class: "dot group", "aria-hidden": "true" }, "#"),
        h("span", { class: "name" }, c.name || "(no name)"),
        last ? h("time", { datetime: last.timestamp }, formatTime(last.timestamp)) : null,
      ),
      h(
        "span",
        { class: "line" },
        h("span", { class: "preview" }, last && c.kind === "group" && !last.deleted ? `${last.sender_username}: ${preview}` : preview),
        c.muted ? h("span", { class: "muted-mark", role: "img", "aria-label": "muted" }, "🔕") : null,
        c.mention_count ? h("span", { class: "badge mention", "aria-label": `${c.mention_count} mentioning you` }, `@${c.mention_count}`) : null,
        unread ? h("span", { class: "badge", "aria-label": `${unread} unread` }, String(unread)) : null,
      ),
    );
    return h("li", {}, link);
  }

  // ---- history ----

  private history(id: number): History {
    let history = this.histories.get(id);
    if (!history) this.histories.set(id, (history = { messages: [], loaded: false, hasOlder: true, loadingOlder: false }));
    return history;
  }

  /** The newest page; merged with what is already held (live messages that arrived first stay). */
  private async loadNewest(id: number) {
    try {
      const page = await this.api.request<Message[]>("GET", `/api/messages/${id}/?limit=${PAGE_SIZE}`);
      const history = this.history(id);
      if (!history.loaded) {
        history.hasOlder = page.length === PAGE_SIZE;
        // Live arrivals held from before, older than a full page, would leave a gap: older pages bring them back.
        if (history.hasOlder) history.messages = history.messages.filter((m) => m.id >= page.at(-1)!.id);
      }
      history.loaded = true;
      for (const m of page) this.store(m);
      if (this.openId === id && this.pane) {
        this.pane.showHistory(history.messages, this.pendingOf(id));
        this.markRead(id);
        this.pane.fillViewport();
      }
    } catch (error) {
      if (this.openId === id) this.pane?.showError(`Could not load messages: ${messageOf(error)}`);
    }
  }

  async loadOlder(id: number) {
    const history = this.histories.get(id);
    if (!history || !history.loaded || !history.hasOlder || history.loadingOlder || !history.messages.length) return;
    history.loadingOlder = true;
    this.pane?.setLoadingOlder(true);
    try {
      const oldest = history.messages[0]!.id;
      const page = await this.api.request<Message[]>("GET", `/api/messages/${id}/?before=${oldest}&limit=${PAGE_SIZE}`);
      history.hasOlder = page.length === PAGE_SIZE;
      const older = page.filter((m) => !history.messages.some((k) => k.id === m.id)).reverse();
      history.messages.unshift(...older);
      if (this.openId === id) this.pane?.prependOlder(older, history.hasOlder);
    } catch (error) {
      if (this.openId === id) this.pane?.showError(`Could not load older messages: ${messageOf(error)}`);
    } finally {
      history.loadingOlder = false;
      this.pane?.setLoadingOlder(false);
    }
  }

  hasOlder(id: number): boolean {
    return this.histories.get(id)?.hasOlder ?? false;
  }

  /** Adds or replaces a confirmed message in its history (kept in id order). */
  private store(message: Message): "added" | "updated" {
    const history = this.history(message.conversation_id);
    const list = history.messages;
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

  // ---- sending ----

  pendingOf(conversationId: number): PendingMessage[] {
    return [...this.pending.values()].filter((p) => p.conversation_id === conversationId);
  }

  send(conversationId: number, text: string, file: File | null) {
    const p: PendingMessage = {
      client_id: crypto.randomUUID(),
      conversation_id: conversationId,
      text,
      file,
      previewUrl: file && /^image\/(png|jpeg|gif|webp)$/.test(file.type) ? URL.createObjectURL(file) : null,
      status: "sending",
      progress: 0,
      error: "",
      retryable: false,
      attempts: 0,
    };
    this.pending.set(p.client_id, p);
    this.pane?.upsertPending(p);
    void this.attemptSend(p);
  }

  /** Sends (or re-sends) with the same client_id: the server stores it once however often it arrives. */
  async attemptSend(p: PendingMessage) {
    if (!this.pending.has(p.client_id)) return;
    p.status = "sending";
    p.error = "";
    p.attempts++;
    this.paneFor(p.conversation_id)?.upsertPending(p);
    const path = `/api/messages/${p.conversation_id}/send/`;
    try {
      let message: Message;
      if (p.file) {
        const form = new FormData();
        form.append("message", p.text);
        form.append("client_id", p.client_id);
        form.append("file", p.file, p.file.name);
        message = await this.api.upload<Message>(path, form, (fraction) => {
          p.progress = fraction;
          this.paneFor(p.conversation_id)?.updateProgress(p);
        });
      } else {
        message = await this.api.request<Message>("POST", path, { body: { message: p.text, client_id: p.client_id } });
      }
      this.confirm(message);
    } catch (error) {
      if (!this.pending.has(p.client_id)) return; // confirmed over the socket meanwhile
      p.status = "failed";
      p.retryable = error instanceof ApiError && error.transient;
      p.error = messageOf(error);
      this.paneFor(p.conversation_id)?.upsertPending(p);
      // Transient failures are retried by themselves a few times (and again when the connection returns).
      if (p.retryable && p.attempts < 4) setTimeout(() => p.status === "failed" && void this.attemptSend(p), 1000 * 2 ** p.attempts);
    }
  }

  discard(p: PendingMessage) {
    this.pending.delete(p.client_id);
    if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
    this.paneFor(p.conversation_id)?.removePending(p.client_id);
  }

  private paneFor(conversationId: number): ConversationPane | null {
    return this.openId === conversationId ? this.pane : null;
  }

  /** A stored message, from the send's answer or from the socket, whichever comes first. */
  private confirm(message: Message) {
    const p = message.client_id ? this.pending.get(message.client_id) : undefined;
    if (p && message.sender === this.me.id) {
      this.pending.delete(p.client_id);
      this.paneFor(p.conversation_id)?.removePending(p.client_id, p.previewUrl);
    }
    const result = this.store(message);
    const pane = this.paneFor(message.conversation_id);
    if (pane) pane.upsertMessage(message);
    const conversation = this.conversations.get(message.conversation_id);
    if (conversation && (!conversation.last_message || conversation.last_message.id <= message.id)) {
      conversation.last_message = message;
      this.renderList();
    }
    return result;
  }

  // ---- reading ----

  /** Moves my read marker to the newest message of the open conversation, once it is really seen. */
  markRead(id: number) {
    if (this.openId !== id || document.visibilityState !== "visible" || !this.pane?.atBottom()) return;
    const newest = this.histories.get(id)?.messages.at(-1)?.id;
    if (this.unread.get(id)) {
      this.unread.set(id, 0);
      this.renderList();
    }
    if (!newest || newest <= (this.readSent.get(id) ?? 0)) return;
    this.readSent.set(id, newest);
    if (!this.live.send({ type: "read", conversation_id: id, message_id: newest })) this.unsentReads.set(id, newest);
  }

  sendTyping(conversationId: number) {
    this.live.send({ type: "typing", conversation_id: conversationId });
  }

  typingIn(conversationId: number): string[] {
    const now = Date.now();
    return [...(this.typing.get(conversationId)?.values() ?? [])].filter((t) => t.until > now).map((t) => t.username);
  }

  async leave(conversation: Conversation) {
    try {
      await this.api.request("POST", `/api/groups/${conversation.id}/leave/`);
      this.forget(conversation.id);
      this.showNotice(`You left ${conversation.name}.`, "#/");
    } catch (error) {
      this.pane?.showError(messageOf(error));
    }
  }

  private forget(id: number) {
    this.conversations.delete(id);
    this.histories.delete(id);
    this.unread.delete(id);
    this.renderList();
    if (this.openId === id) location.hash = "#/";
  }

  // ---- live events ----

  private handle(frame: Frame) {
    const id = frame.conversation_id;
    switch (frame.type) {
      case "message.created": {
        const message = frame.data as Message;
        const known = this.conversations.has(message.conversation_id);
        this.confirm(message);
        this.typing.get(message.conversation_id)?.delete(message.sender);
        this.paneFor(message.conversation_id)?.renderTyping();
        if (!known) void this.refreshConversations(); // someone started a conversation with me: counted below too
        if (message.sender !== this.me.id) {
          const seen = this.openId === message.conversation_id && document.visibilityState === "visible" && this.pane?.atBottom();
          if (seen) this.markRead(message.conversation_id);
          else if (message.id > (this.readSent.get(message.conversation_id) ?? 0)) {
            this.unread.set(message.conversation_id, (this.unread.get(message.conversation_id) ?? 0) + 1);
            this.renderList();
          }
        }
        return;
      }
      case "message.deleted": {
        const history = id === undefined ? undefined : this.histories.get(id);
        const message = history?.messages.find((m) => m.id === frame.data.id);
        if (message) {
          Object.assign(message, { deleted: true, message: "", file: null, attachment: null });
          this.paneFor(message.conversation_id)?.upsertMessage(message);
        }
        const conversation = id === undefined ? undefined : this.conversations.get(id);
        const last = conversation?.last_message;
        if (conversation && last && last.id === frame.data.id) {
          conversation.last_message = { ...last, deleted: true, message: "", attachment: null, file: null };
          this.renderList();
        }
        return;
      }
      case "member.joined":
      case "member.left": {
        if (frame.type === "member.left" && frame.data.user_id === this.me.id && id !== undefined) return this.forget(id);
        void this.refreshConversations().then(() => {
          if (id !== undefined && this.openId === id) this.pane?.update(this.conversations.get(id));
          if (this.openId === id && !this.pane) this.route();
        });
        return;
      }
      case "unread":
      case "mute": {
        // My own read state, from any of my devices: the server's counts are the truth.
        const state = frame.data as { conversation_id: number; unread_count: number; mention_count: number; muted: boolean };
        const conversation = this.conversations.get(state.conversation_id);
        if (conversation) Object.assign(conversation, { unread_count: state.unread_count, mention_count: state.mention_count, muted: state.muted });
        this.unread.set(state.conversation_id, state.unread_count);
        this.renderList();
        if (state.unread_count) this.markRead(state.conversation_id);
        return;
      }
      case "message.updated": {
        const edit = frame.data as { id: number; conversation_id: number; message: string; edited_at: string | null };
        const message = this.histories.get(edit.conversation_id)?.messages.find((m) => m.id === edit.id);
        if (message) {
          Object.assign(message, { message: edit.message, edited_at: edit.edited_at });
          this.paneFor(edit.conversation_id)?.upsertMessage(message);
        }
        const last = this.conversations.get(edit.conversation_id)?.last_message;
        if (last?.id === edit.id) {
          Object.assign(last, { message: edit.message, edited_at: edit.edited_at });
          this.renderList();
        }
        return;
      }
      case "messages.expired": {
        // Retention removed the conversation's oldest messages.
        if (id === undefined) return;
        const history = this.histories.get(id);
        if (history) history.messages = history.messages.filter((m) => m.id > frame.data.up_to_id);
        if (history && this.openId === id) this.pane?.showHistory(history.messages, this.pendingOf(id));
        void this.refreshConversations();
        return;
      }
      case "conversation.updated":
      case "member.updated":
        void this.refreshConversations();
        return;
      case "read": {
        if (id === undefined) return;
        const { user_id, message_id } = frame.data as { user_id: number; message_id: number };
        const conversation = this.conversations.get(id);
        if (user_id === this.me.id) {
          this.readSent.set(id, Math.max(this.readSent.get(id) ?? 0, message_id));
          if ((conversation?.last_message?.id ?? 0) <= message_id && this.unread.get(id)) {
            this.unread.set(id, 0);
            this.renderList();
          }
          return;
        }
        const member = conversation?.members.find((m) => m.id === user_id);
        if (member) member.last_read_message_id = Math.max(member.last_read_message_id ?? 0, message_id);
        this.paneFor(id)?.renderReadMarkers();
        return;
      }
      case "typing": {
        if (id === undefined || frame.data.user_id === this.me.id) return;
        let users = this.typing.get(id);
        if (!users) this.typing.set(id, (users = new Map()));
        users.set(frame.data.user_id, { username: frame.data.username, until: Date.now() + TYPING_SHOWN_MS });
        this.paneFor(id)?.renderTyping();
        setTimeout(() => this.paneFor(id)?.renderTyping(), TYPING_SHOWN_MS + 50);
        return;
      }
      case "presence": {
        this.presence.set(frame.data.user_id, frame.data.status);
        this.renderList();
        this.pane?.renderHeader();
        return;
      }
      case "error":
        if (frame.data?.code !== "rate_limited") this.showNotice(`The server refused an action: ${frame.data?.message ?? "unknown error"}`);
        return;
    }
  }

  /** The event log no longer reaches back to where this client stopped: reload what is shown. */
  private async resync() {
    this.histories.clear();
    await this.refreshConversations();
    if (this.openId !== null) {
      this.pane?.showHistory(null, this.pendingOf(this.openId));
      await this.loadNewest(this.openId);
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong.";
}
