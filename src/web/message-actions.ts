// What a person does to a stored message: its "More actions" menu (reply, react, edit, delete, pin), the edit and
// delete dialogs, and the parts of the message that lead elsewhere (the message it answers, its thread).
import type { ParleyClient } from "../client";
import { type Child, h } from "./dom";
import type { MentionKind } from "./markdown";
import { menuButton, type MenuItem } from "./menu";
import { openPanel } from "./panel";
import { reactionRow } from "./reactions";
import type { ChatStore } from "./store";
import type { Conversation, Message } from "./types";
import { messageOf } from "./words";

/** What the message actions need of the app. */
export interface MessageServices {
  readonly api: ParleyClient;
  readonly store: ChatStore;
  /** Whether I am staff (known once the server answered). */
  isStaff(): boolean;
  jump(conversationId: number, messageId: number): void;
}

export interface MessageExtras {
  header: Child;
  before: Child;
  after: Child;
}

/** The start of a message's text, its Markdown marks left out. */
const excerpt = (message: string) => {
  const text = message.replace(/[*~`]+/g, "");
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

export class MessageActions {
  constructor(
    readonly services: MessageServices,
    private readonly conversation: () => Conversation,
    private readonly openThread: (m: Message) => void,
    private readonly fail: (text: string) => void,
  ) {}

  private get me() {
    return this.services.store.me;
  }

  /** My own name is "me" wherever it is written; members' names are highlighted, anything else stays text. */
  readonly mention: MentionKind = (name) => {
    const key = name.toLowerCase();
    if (key === this.me.username.toLowerCase()) return "me";
    return this.conversation().members.some((m) => m.username.toLowerCase() === key) ? "other" : null;
  };

  nameOf(userId: number): string {
    if (userId === this.me.id) return "you";
    return this.conversation().members.find((m) => m.id === userId)?.username ?? `user ${userId}`;
  }

  private get moderator(): boolean {
    const c = this.conversation();
    return c.kind === "direct" || ["owner", "admin"].includes(c.members.find((m) => m.id === this.me.id)?.role ?? "");
  }

  extras(m: Message): MessageExtras {
    if (m.deleted) return { header: null, before: this.replyLine(m), after: null };
    const react = reactionRow(m, this);
    const items = (): MenuItem[] => {
      const c = this.conversation();
      const mine = m.sender === this.me.id;
      const list: MenuItem[] = [
        { label: "Reply in thread", run: () => this.openThread(m) },
        { label: "Add reaction…", run: () => react.picker.open() },
      ];
      if (mine) list.push({ label: "Edit", run: () => this.edit(m) });
      if (mine || this.services.isStaff() || (c.kind === "group" && this.moderator)) list.push({ label: "Delete", run: () => this.remove(m) });
      if (this.moderator) list.push({ label: m.pinned ? "Unpin" : "Pin", run: () => void this.pin(m) });
      return list;
    };
    const more = menuButton({ class: "more quiet", "aria-label": "More actions" }, "⋯", "Message actions", items);
    return {
      header: h("span", { class: "message-tools" }, m.pinned ? h("span", { class: "pin-badge" }, "📌 Pinned") : null, react.picker.element, more.element),
      before: this.replyLine(m),
      after: h(
        "div",
        { class: "message-footer" },
        react.chips,
        m.reply_count
          ? h(
              "button",
              { type: "button", class: "thread-link quiet", onclick: () => this.openThread(m) },
              `💬 ${m.reply_count} repl${m.reply_count === 1 ? "y" : "ies"}`,
            )
          : null,
      ),
    };
  }

  /** "Replying to …": the parent's excerpt, a button that jumps to it. */
  private replyLine(m: Message): Child {
    if (!m.reply_to) return null;
    const parent = this.services.store.findMessage(m.conversation_id, m.reply_to);
    const text = parent
      ? `↪ ${parent.sender_username}: ${parent.deleted ? "message deleted" : excerpt(parent.message) || "a file"}`
      : "↪ Replying to a message";
    return h("button", { type: "button", class: "reply-to quiet", onclick: () => this.services.jump(m.conversation_id, m.reply_to!) }, text);
  }

  async react(m: Message, emoji: string, add: boolean) {
    const { api, store } = this.services;
    try {
      const answer = add ? await api.react(m.conversation_id, m.id, emoji) : await api.unreact(m.conversation_id, m.id, emoji);
      const held = store.findMessage(m.conversation_id, m.id) ?? m;
      held.reactions = answer.reactions;
      store.emit({ kind: "message", message: held });
    } catch (error) {
      this.fail(messageOf(error));
    }
  }

  private async pin(m: Message) {
    try {
      this.update(await this.services.api.pin(m.conversation_id, m.id, !m.pinned));
    } catch (error) {
      this.fail(messageOf(error));
    }
  }

  private update(message: Message) {
    this.services.store.put(message);
    this.services.store.emit({ kind: "message", message });
  }

  private edit(m: Message) {
    const text = h("textarea", { id: "edit-text", rows: 4, maxlength: 10000 }, m.message);
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      {},
      h("label", { for: "edit-text" }, "Edit message"),
      text,
      error,
      h(
        "div",
        { class: "row" },
        h("button", { type: "submit", class: "primary" }, "Save"),
        h("button", { type: "button", onclick: () => panel.close() }, "Cancel"),
      ),
    );
    const panel = openPanel("Edit message", "edit-dialog", form);
    const save = async () => {
      if (!text.value.trim()) return void (error.textContent = "A message needs some text. Delete it instead.");
      try {
        this.update(await this.services.api.editMessage(m.conversation_id, m.id, text.value));
        panel.close();
      } catch (e) {
        error.textContent = messageOf(e);
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void save();
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void save();
      }
    });
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }

  private remove(m: Message) {
    const error = h("p", { class: "form-error", role: "alert" });
    const confirm = h("button", { type: "button", class: "danger" }, "Delete");
    const panel = openPanel(
      "Delete message?",
      "delete-dialog",
      h("p", {}, m.sender === this.me.id ? "Your message will be removed for everyone." : `${m.sender_username}'s message will be removed for everyone.`),
      h("blockquote", {}, excerpt(m.message) || "(a file)"),
      error,
      h("div", { class: "row" }, confirm, h("button", { type: "button", onclick: () => panel.close() }, "Cancel")),
    );
    confirm.addEventListener("click", async () => {
      try {
        await this.services.api.deleteMessage(m.conversation_id, m.id);
        panel.close();
      } catch (e) {
        error.textContent = messageOf(e);
      }
    });
    confirm.focus();
  }
}
