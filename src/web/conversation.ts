// One open conversation: its header, the message log (older pages on scroll up), typing and read markers, and
// the composer below them.
import { type ComposerDeps, Composer } from "./composer";
import { h, replace, sameOriginUrl } from "./dom";
import { MessageActions, type MessageServices } from "./message-actions";
import { type MessageViewActions, messageNode, pendingNode } from "./message-view";
import { openPins } from "./pins";
import { openThread, type ThreadDeps } from "./thread";
import type { Change, PendingMessage } from "./store";
import type { Conversation, Message } from "./types";
import { placeDivider } from "./unread";

/** All the pane reads and asks of the rest of the app. */
export interface PaneDeps extends ComposerDeps {
  readonly meId: number;
  isOnline(userId: number): boolean;
  hasOlder(conversationId: number): boolean;
  typingIn(conversationId: number): string[];
  retry(p: PendingMessage): void;
  discard(p: PendingMessage): void;
  loadOlder(conversationId: number): void;
  markRead(conversationId: number): void;
  leave(conversation: Conversation): void;
  /** A fresh signed URL for a message's file; rejects with the reason. */
  fileUrl(messageId: number): Promise<string>;
  /** Editing, reactions, pins, jumps (message-actions.ts). */
  readonly messages: MessageServices;
  reply: ThreadDeps["reply"];
  /** Where the "New messages" divider goes, as the conversation opens (null: nothing unread). */
  unreadSince(conversationId: number): number | null;
  /** The header's controls besides Leave (notifications, group settings). */
  headerActions(conversation: Conversation): Node[];
}

export class ConversationPane {
  readonly element: HTMLElement;
  private readonly header = h("header", { class: "pane-header" });
  private readonly log = h("div", { class: "log", role: "log", "aria-label": "Conversation history", tabindex: 0 });
  private readonly olderStatus = h("p", { class: "older muted", "aria-live": "polite" });
  private readonly typingLine = h("p", { class: "typing", "aria-live": "polite" });
  private readonly error = h("p", { class: "form-error", role: "alert" });
  private readonly composer: Composer;
  private readonly nodes = new Map<string, HTMLElement>();
  private readonly nodeActions: MessageViewActions;
  /** The message a jump is showing: redraws keep it in view instead of scrolling to the newest. */
  private anchor: number | null = null;
  private anchorTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly dividerAfter: number | null;

  constructor(
    private readonly deps: PaneDeps,
    private conversation: Conversation,
  ) {
    const messages = new MessageActions(
      deps.messages,
      () => this.conversation,
      (m) => this.openThread(m),
      (text) => this.showError(text),
    );
    this.nodeActions = {
      meId: deps.meId,
      freshFileUrl: (id) => this.freshFileUrl(id),
      retry: (p) => deps.retry(p),
      discard: (p) => deps.discard(p),
      messages,
    };
    this.composer = new Composer(conversation.id, deps);
    this.dividerAfter = deps.unreadSince(conversation.id);
    this.log.addEventListener("scroll", () => {
      if (this.log.scrollTop < 150) this.deps.loadOlder(this.conversation.id);
      if (this.atBottom()) this.deps.markRead(this.conversation.id);
    });
    this.element = h(
      "div",
      { class: "conversation" },
      this.header,
      this.error,
      h("div", { class: "log-wrap" }, this.log),
      this.typingLine,
      this.composer.element,
    );
    this.acceptDrops();
    this.renderHeader();
  }

  /** A file dropped anywhere on the conversation is attached to the composer (shown before it is sent). */
  private acceptDrops() {
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes("Files");
    this.element.addEventListener("dragover", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      this.element.classList.add("dropping");
    });
    this.element.addEventListener("dragleave", () => this.element.classList.remove("dropping"));
    this.element.addEventListener("drop", (event) => {
      this.element.classList.remove("dropping");
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      event.preventDefault();
      this.composer.attach(file);
    });
  }

  private openThread(m: Message) {
    const { messages, reply, sendTyping, mentionable } = this.deps;
    openThread(
      m,
      {
        store: messages.store,
        replies: (c, id) => messages.api.replies(c, id, { limit: 100 }),
        reply,
        composer: { sendTyping, mentionable },
      },
      this.nodeActions,
    );
  }

  /** Scrolls to a message, highlights it briefly and focuses it (jump.ts loaded it). */
  reveal(messageId: number) {
    this.anchor = messageId;
    const node = this.nodes.get(`m:${messageId}`);
    if (!node) return this.showError("That message is no longer there.");
    node.scrollIntoView({ block: "center" });
    node.classList.add("highlight");
    node.focus({ preventScroll: true });
    clearTimeout(this.anchorTimer);
    this.anchorTimer = setTimeout(() => {
      this.anchor = null;
      this.nodes.get(`m:${messageId}`)?.classList.remove("highlight");
    }, 3_000);
  }

  /** A jump is under way or showing. */
  get revealing(): boolean {
    return this.anchor !== null;
  }

  set revealAt(messageId: number) {
    this.anchor = messageId;
  }

  destroy() {
    this.nodes.clear();
  }

  /** Redraws the part a change touches, if it is about this conversation. */
  onChange(change: Change) {
    const id = this.conversation.id;
    if ("conversationId" in change && change.conversationId !== id) return;
    switch (change.kind) {
      case "presence":
        return this.renderHeader();
      case "history":
        this.showHistory(change.messages, change.pending);
        if (change.newest) {
          this.deps.markRead(id);
          this.fillViewport();
        }
        return;
      case "older":
        return this.prependOlder(change.older, change.hasOlder);
      case "loading-older":
        return this.setLoadingOlder(change.loading);
      case "message":
        if (change.message.conversation_id === id) this.upsertMessage(change.message);
        return;
      case "pending":
        if (change.pending.conversation_id === id) this.upsertPending(change.pending);
        return;
      case "progress":
        if (change.pending.conversation_id === id) this.updateProgress(change.pending);
        return;
      case "pending-gone":
        return this.removePending(change.clientId, change.previewUrl);
      case "typing":
        return this.renderTyping();
      case "read-markers":
        return this.renderReadMarkers();
      case "error":
        return this.showError(change.text);
    }
  }

  focusComposer() {
    this.composer.focus();
  }

  focusHeading() {
    this.header.querySelector("h2")?.focus();
  }

  private showError(text: string) {
    this.error.textContent = text;
  }

  update(conversation: Conversation | undefined) {
    if (!conversation) return;
    this.conversation = conversation;
    this.renderHeader();
    this.renderReadMarkers();
  }

  private renderHeader() {
    const c = this.conversation;
    let detail: string;
    if (c.kind === "direct") {
      const other = c.members[0];
      const full = other ? `${other.first_name} ${other.last_name}`.trim() : "";
      detail = `${other && this.deps.isOnline(other.id) ? "online" : "offline"}${full ? ` · ${full}` : ""}`;
    } else {
      const online = c.members.filter((m) => this.deps.isOnline(m.id)).length;
      detail = `${c.members.length} member${c.members.length === 1 ? "" : "s"} · ${online} online`;
    }
    replace(
      this.header,
      h(
        "a",
        { href: "#/", class: "back" },
        h("span", { "aria-hidden": "true" }, "‹ "),
        "Back",
        h("span", { class: "visually-hidden" }, " to all conversations"),
      ),
      h("div", { class: "title" }, h("h2", { tabindex: -1 }, c.name || "(no name)"), h("p", { class: "muted" }, detail)),
      h("button", { type: "button", class: "quiet", onclick: () => openPins(c.id, this.deps.messages, this.nodeActions.messages!.mention) }, "Pinned"),
      ...this.deps.headerActions(c),
      c.kind === "group" ? h("button", { type: "button", class: "quiet", onclick: () => this.deps.leave(c) }, "Leave") : null,
    );
  }

  // ---- the log ----

  atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
  }

  private scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** Renders a whole history (null: still loading). */
  showHistory(messages: Message[] | null, pending: PendingMessage[]) {
    this.nodes.clear();
    replace(this.log, this.olderStatus);
    if (messages === null) {
      this.olderStatus.textContent = "Loading messages…";
      return;
    }
    for (const m of messages) this.log.append(this.remember(`m:${m.id}`, messageNode(m, this.nodeActions)));
    for (const p of pending) this.log.append(this.remember(`p:${p.client_id}`, pendingNode(p, this.nodeActions)));
    this.olderStatus.textContent =
      !messages.length && !pending.length
        ? "No messages yet. Say hello!"
        : this.deps.hasOlder(this.conversation.id)
          ? ""
          : "This is the beginning of the conversation.";
    this.renderReadMarkers();
    if (this.anchor !== null) this.reveal(this.anchor);
    else this.scrollToBottom();
  }

  /** Loads older pages until the log can scroll (a short first page would never fire a scroll event). */
  private fillViewport() {
    if (this.log.scrollHeight <= this.log.clientHeight + 10 && this.deps.hasOlder(this.conversation.id)) this.deps.loadOlder(this.conversation.id);
  }

  private setLoadingOlder(loading: boolean) {
    if (loading) this.olderStatus.textContent = "Loading older messages…";
    else if (this.olderStatus.textContent === "Loading older messages…")
      this.olderStatus.textContent = this.deps.hasOlder(this.conversation.id) ? "" : "This is the beginning of the conversation.";
  }

  private prependOlder(older: Message[], hasOlder: boolean) {
    const fromBottom = this.log.scrollHeight - this.log.scrollTop;
    const first = this.olderStatus.nextSibling;
    for (const m of older) this.log.insertBefore(this.remember(`m:${m.id}`, messageNode(m, this.nodeActions)), first);
    this.log.scrollTop = this.log.scrollHeight - fromBottom; // keep what the reader was looking at in place
    if (!hasOlder) this.olderStatus.textContent = "This is the beginning of the conversation.";
    this.renderReadMarkers();
    this.fillViewport();
  }

  private remember(key: string, node: HTMLElement): HTMLElement {
    this.nodes.set(key, node);
    return node;
  }

  private upsertMessage(message: Message) {
    const stick = this.atBottom();
    const node = messageNode(message, this.nodeActions);
    const existing = this.nodes.get(`m:${message.id}`);
    if (existing) existing.replaceWith(node);
    else {
      // Before the first newer confirmed message, else before the pending ones, else at the end.
      let before: Element | null = null;
      for (const child of Array.from(this.log.children)) {
        const id = (child as HTMLElement).dataset.id;
        if ((id && Number(id) > message.id) || (child as HTMLElement).dataset.pending) {
          before = child;
          break;
        }
      }
      this.log.insertBefore(node, before);
      if (this.olderStatus.textContent === "No messages yet. Say hello!") this.olderStatus.textContent = "";
    }
    this.nodes.set(`m:${message.id}`, node);
    this.renderReadMarkers();
    if (stick || message.sender === this.deps.meId) this.scrollToBottom();
  }

  private upsertPending(p: PendingMessage) {
    const node = pendingNode(p, this.nodeActions);
    const existing = this.nodes.get(`p:${p.client_id}`);
    if (existing) existing.replaceWith(node);
    else this.log.append(node);
    this.nodes.set(`p:${p.client_id}`, node);
    if (this.olderStatus.textContent === "No messages yet. Say hello!") this.olderStatus.textContent = "";
    if (!existing) this.scrollToBottom();
  }

  private updateProgress(p: PendingMessage) {
    const bar = this.nodes.get(`p:${p.client_id}`)?.querySelector("progress");
    if (bar) bar.value = p.progress;
  }

  private removePending(clientId: string, previewUrl?: string | null) {
    this.nodes.get(`p:${clientId}`)?.remove();
    this.nodes.delete(`p:${clientId}`);
    // The blob: preview stays valid until the stored image has replaced it on screen.
    if (previewUrl) setTimeout(() => URL.revokeObjectURL(previewUrl), 10_000);
  }

  private async freshFileUrl(messageId: number): Promise<string | null> {
    try {
      return sameOriginUrl(await this.deps.fileUrl(messageId));
    } catch (error) {
      this.showError(error instanceof Error ? `The file is not available: ${error.message}` : "The file is not available.");
      return null;
    }
  }

  private renderReadMarkers() {
    for (const node of Array.from(this.log.querySelectorAll<HTMLElement>(".seen"))) node.textContent = "";
    const readers = new Map<number, string[]>();
    const ids = [...this.nodes.keys()]
      .filter((k) => k.startsWith("m:"))
      .map((k) => Number(k.slice(2)))
      .sort((a, b) => a - b);
    for (const member of this.conversation.members) {
      if (member.id === this.deps.meId || !member.last_read_message_id) continue;
      // Under the newest message they have read that they did not write themselves.
      let at: number | undefined;
      for (const id of ids) if (id <= member.last_read_message_id && this.senderOf(id) !== member.id) at = id;
      if (at !== undefined) readers.set(at, [...(readers.get(at) ?? []), member.username]);
    }
    for (const [id, names] of readers) {
      const seen = this.nodes.get(`m:${id}`)?.querySelector(".seen");
      if (seen) seen.textContent = `Seen by ${names.join(", ")}`;
    }
    placeDivider(this.log, this.dividerAfter, this.deps.meId);
  }

  private senderOf(id: number): number {
    return Number(this.nodes.get(`m:${id}`)?.dataset.sender);
  }

  private renderTyping() {
    const names = this.deps.typingIn(this.conversation.id);
    this.typingLine.textContent = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
  }
}
