// One open conversation: its header, the message log (older pages on scroll up), typing and read markers, and
// the composer (Enter sends, Shift+Enter makes a new line; a file goes with the next send, with upload progress).
import type { Chat } from "./chat";
import { field, formatSize, formatTime, h, replace, sameOriginUrl } from "./dom";
import type { Conversation, Message } from "./types";

export interface PendingMessage {
  client_id: string;
  conversation_id: number;
  text: string;
  file: File | null;
  /** A blob: URL showing the image being sent before the server has it. */
  previewUrl: string | null;
  status: "sending" | "failed";
  progress: number;
  error: string;
  retryable: boolean;
  attempts: number;
}

const TYPING_EVERY_MS = 2_000;
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export class ConversationPane {
  readonly element: HTMLElement;
  private readonly header = h("header", { class: "pane-header" });
  private readonly log = h("div", { class: "log", role: "log", "aria-label": "Conversation history", tabindex: 0 });
  private readonly olderStatus = h("p", { class: "older muted", "aria-live": "polite" });
  private readonly typingLine = h("p", { class: "typing", "aria-live": "polite" });
  private readonly error = h("p", { class: "form-error", role: "alert" });
  private readonly text: HTMLTextAreaElement;
  private readonly fileInput = h("input", { type: "file", hidden: true, name: "file" });
  private readonly fileChip = h("div", { class: "file-chip", hidden: true });
  private file: File | null = null;
  private typingSentAt = 0;
  private readonly nodes = new Map<string, HTMLElement>();

  constructor(
    private readonly chat: Chat,
    private conversation: Conversation,
  ) {
    const message = field("Message", h("textarea", { name: "message", rows: 1, placeholder: "Write a message…", maxlength: 10000 }));
    this.text = message.input as HTMLTextAreaElement;
    const attach = h("button", { type: "button", class: "quiet", onclick: () => this.fileInput.click() }, "Attach");
    const send = h("button", { type: "submit", class: "primary" }, "Send");
    const form = h("form", { class: "composer" }, this.fileChip, message.wrapper, h("div", { class: "composer-actions" }, attach, this.fileInput, send));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.text.value = chat.drafts.get(conversation.id) ?? "";
    this.text.addEventListener("input", () => {
      this.autosize();
      this.chat.drafts.set(this.conversation.id, this.text.value);
      if (this.text.value.trim() && Date.now() - this.typingSentAt > TYPING_EVERY_MS) {
        this.typingSentAt = Date.now();
        this.chat.sendTyping(this.conversation.id);
      }
    });
    this.fileInput.addEventListener("change", () => this.setFile(this.fileInput.files?.[0] ?? null));
    this.log.addEventListener("scroll", () => {
      if (this.log.scrollTop < 150) void this.chat.loadOlder(this.conversation.id);
      if (this.atBottom()) this.chat.markRead(this.conversation.id);
    });
    this.element = h("div", { class: "conversation" }, this.header, this.error, h("div", { class: "log-wrap" }, this.log), this.typingLine, form);
    this.renderHeader();
  }

  destroy() {
    this.nodes.clear();
  }

  focusComposer() {
    this.text.focus();
  }

  focusHeading() {
    this.header.querySelector("h2")?.focus();
  }

  showError(text: string) {
    this.error.textContent = text;
  }

  update(conversation: Conversation | undefined) {
    if (!conversation) return;
    this.conversation = conversation;
    this.renderHeader();
    this.renderReadMarkers();
  }

  renderHeader() {
    const c = this.conversation;
    let detail: string;
    if (c.kind === "direct") {
      const other = c.members[0];
      const full = other ? `${other.first_name} ${other.last_name}`.trim() : "";
      detail = `${other && this.chat.isOnline(other.id) ? "online" : "offline"}${full ? ` · ${full}` : ""}`;
    } else {
      const online = c.members.filter((m) => this.chat.isOnline(m.id)).length;
      detail = `${c.members.length} member${c.members.length === 1 ? "" : "s"} · ${online} online`;
    }
    replace(
      this.header,
      h("a", { href: "#/", class: "back" }, h("span", { "aria-hidden": "true" }, "‹ "), "Back", h("span", { class: "visually-hidden" }, " to all conversations")),
      h("div", { class: "title" }, h("h2", { tabindex: -1 }, c.name || "(no name)"), h("p", { class: "muted" }, detail)),
      c.kind === "group" ? h("button", { type: "button", class: "quiet", onclick: () => void this.chat.leave(c) }, "Leave") : null,
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
    for (const m of messages) this.log.append(this.remember(`m:${m.id}`, this.messageNode(m)));
    for (const p of pending) this.log.append(this.remember(`p:${p.client_id}`, this.pendingNode(p)));
    this.olderStatus.textContent =
      !messages.length && !pending.length ? "No messages yet. Say hello!" : this.chat.hasOlder(this.conversation.id) ? "" : "This is the beginning of the conversation.";
    this.renderReadMarkers();
    this.scrollToBottom();
  }

  /** Loads older pages until the log can scroll (a short first page would never fire a scroll event). */
  fillViewport() {
    if (this.log.scrollHeight <= this.log.clientHeight + 10 && this.chat.hasOlder(this.conversation.id)) void this.chat.loadOlder(this.conversation.id);
  }

  setLoadingOlder(loading: boolean) {
    if (loading) this.olderStatus.textContent = "Loading older messages…";
    else if (this.olderStatus.textContent === "Loading older messages…") this.olderStatus.textContent = this.chat.hasOlder(this.conversation.id) ? "" : "This is the beginning of the conversation.";
  }

  prependOlder(older: Message[], hasOlder: boolean) {
    const fromBottom = this.log.scrollHeight - this.log.scrollTop;
    const first = this.olderStatus.nextSibling;
    for (const m of older) this.log.insertBefore(this.remember(`m:${m.id}`, this.messageNode(m)), first);
    this.log.scrollTop = this.log.scrollHeight - fromBottom; // keep what the reader was looking at in place
    if (!hasOlder) this.olderStatus.textContent = "This is the beginning of the conversation.";
    this.renderReadMarkers();
    this.fillViewport();
  }

  private remember(key: string, node: HTMLElement): HTMLElement {
    this.nodes.set(key, node);
    return node;
  }

  upsertMessage(message: Message) {
    const stick = this.atBottom();
    const node = this.messageNode(message);
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
    if (stick || message.sender === this.chat.me.id) this.scrollToBottom();
  }

  upsertPending(p: PendingMessage) {
    const node = this.pendingNode(p);
    const existing = this.nodes.get(`p:${p.client_id}`);
    if (existing) existing.replaceWith(node);
    else this.log.append(node);
    this.nodes.set(`p:${p.client_id}`, node);
    if (this.olderStatus.textContent === "No messages yet. Say hello!") this.olderStatus.textContent = "";
    if (!existing) this.scrollToBottom();
  }

  updateProgress(p: PendingMessage) {
    const bar = this.nodes.get(`p:${p.client_id}`)?.querySelector("progress");
    if (bar) bar.value = p.progress;
  }

  removePending(clientId: string, previewUrl?: string | null) {
    this.nodes.get(`p:${clientId}`)?.remove();
    this.nodes.delete(`p:${clientId}`);
    // The blob: preview stays valid until the stored image has replaced it on screen.
    if (previewUrl) setTimeout(() => URL.revokeObjectURL(previewUrl), 10_000);
  }

  private messageNode(m: Message): HTMLElement {
    const mine = m.sender === this.chat.me.id;
    const body = m.deleted
      ? h("p", { class: "text deleted" }, "This message was deleted.")
      : m.message
        ? h("p", { class: "text" }, m.message)
        : null;
    return h(
      "article",
      { class: `message${mine ? " mine" : ""}`, "data-id": String(m.id), "data-sender": String(m.sender), "aria-label": `${mine ? "You" : m.sender_username}, ${formatTime(m.timestamp)}` },
      h(
        "header",
        {},
        h("span", { class: "sender" }, mine ? "You" : m.sender_username),
        h("time", { datetime: m.timestamp }, formatTime(m.timestamp)),
        m.edited_at && !m.deleted ? h("span", { class: "edited" }, "(edited)") : null,
      ),
      body,
      m.deleted ? null : this.attachmentNode(m),
      h("p", { class: "seen muted" }),
    );
  }

  private attachmentNode(m: Message): HTMLElement | null {
    const a = m.attachment;
    if (!a) return null;
    const url = sameOriginUrl(m.file);
    if (a.expired || !url) return h("p", { class: "attachment muted" }, `${a.name} (${formatSize(a.size)}) — no longer available`);
    if (INLINE_IMAGES.has(a.content_type)) {
      const img = h("img", { src: url, alt: a.name, loading: "lazy", decoding: "async" });
      let retried = false;
      // A signed URL lives minutes: an image first shown later asks for a fresh one.
      img.addEventListener("error", async () => {
        if (retried) return;
        retried = true;
        const fresh = await this.freshFileUrl(m.id);
        if (fresh) img.src = fresh;
      });
      return h("a", { class: "attachment image", href: url, target: "_blank", rel: "noopener" }, img);
    }
    const link = h("a", { href: url, download: a.name, class: "attachment file" }, `⬇ ${a.name}`);
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      const fresh = (await this.freshFileUrl(m.id)) ?? url;
      const temporary = h("a", { href: fresh, download: a.name, hidden: true });
      document.body.append(temporary);
      temporary.click();
      temporary.remove();
    });
    return h("p", { class: "attachment" }, link, h("span", { class: "muted" }, ` ${formatSize(a.size)} · ${a.content_type}`));
  }

  private async freshFileUrl(messageId: number): Promise<string | null> {
    try {
      const info = await this.chat.api.request<{ file_url: string }>("GET", `/api/messages/files/${messageId}/`);
      return sameOriginUrl(info.file_url);
    } catch (error) {
      this.showError(error instanceof Error ? `The file is not available: ${error.message}` : "The file is not available.");
      return null;
    }
  }

  private pendingNode(p: PendingMessage): HTMLElement {
    const status =
      p.status === "sending"
        ? h("p", { class: "status muted" }, p.file ? "Uploading…" : "Sending…")
        : h(
            "p",
            { class: "status failed", role: "alert" },
            `Not sent: ${p.error} `,
            h("button", { type: "button", onclick: () => void this.chat.attemptSend(p) }, "Retry"),
            " ",
            h("button", { type: "button", class: "quiet", onclick: () => this.chat.discard(p) }, "Discard"),
          );
    return h(
      "article",
      { class: "message mine pending", "data-pending": "true", "aria-busy": p.status === "sending" ? "true" : null },
      h("header", {}, h("span", { class: "sender" }, "You")),
      p.text ? h("p", { class: "text" }, p.text) : null,
      p.file
        ? h(
            "div",
            { class: "attachment" },
            p.previewUrl ? h("img", { src: p.previewUrl, alt: p.file.name }) : h("span", {}, p.file.name),
            p.status === "sending" ? h("progress", { max: 1, value: p.progress, "aria-label": `Uploading ${p.file.name}` }) : null,
          )
        : null,
      status,
    );
  }

  renderReadMarkers() {
    for (const node of Array.from(this.log.querySelectorAll<HTMLElement>(".seen"))) node.textContent = "";
    const readers = new Map<number, string[]>();
    const ids = [...this.nodes.keys()].filter((k) => k.startsWith("m:")).map((k) => Number(k.slice(2))).sort((a, b) => a - b);
    for (const member of this.conversation.members) {
      if (member.id === this.chat.me.id || !member.last_read_message_id) continue;
      // Under the newest message they have read that they did not write themselves.
      let at: number | undefined;
      for (const id of ids) if (id <= member.last_read_message_id && this.senderOf(id) !== member.id) at = id;
      if (at !== undefined) readers.set(at, [...(readers.get(at) ?? []), member.username]);
    }
    for (const [id, names] of readers) {
      const seen = this.nodes.get(`m:${id}`)?.querySelector(".seen");
      if (seen) seen.textContent = `Seen by ${names.join(", ")}`;
    }
  }

  private senderOf(id: number): number {
    return Number(this.nodes.get(`m:${id}`)?.dataset.sender);
  }

  renderTyping() {
    const names = this.chat.typingIn(this.conversation.id);
    this.typingLine.textContent = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
  }

  // ---- the composer ----

  private setFile(file: File | null) {
    this.file = file;
    if (!file) {
      this.fileChip.hidden = true;
      replace(this.fileChip);
      this.fileInput.value = "";
      return;
    }
    replace(
      this.fileChip,
      h("span", {}, `📎 ${file.name} (${formatSize(file.size)})`),
      h("button", { type: "button", class: "quiet", onclick: () => this.setFile(null) }, "Remove file"),
    );
    this.fileChip.hidden = false;
    this.text.focus();
  }

  private submit() {
    const text = this.text.value;
    if (!text.trim() && !this.file) return;
    this.chat.send(this.conversation.id, text.trim() ? text : "", this.file);
    this.text.value = "";
    this.chat.drafts.delete(this.conversation.id);
    this.autosize();
    this.setFile(null);
    this.text.focus();
  }

  private autosize() {
    this.text.style.height = "auto";
    this.text.style.height = `${Math.min(this.text.scrollHeight, 200)}px`;
  }
}
