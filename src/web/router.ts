// Which conversation is open, from the URL hash (#/c/<id>): the pane that shows it, and the app's notice line.
import { ConversationPane, type PaneDeps } from "./conversation";
import { h, replace } from "./dom";
import type { Change, ChatStore } from "./store";

export interface RouterDeps {
  readonly store: ChatStore;
  readonly pane: PaneDeps;
  loadNewest(conversationId: number): void;
  /** The layout shows an open conversation (on a phone, instead of the list). */
  setOpen(open: boolean): void;
}

export class Router {
  readonly main = h("section", { class: "pane", "aria-label": "Conversation" });
  readonly notice = h("p", { class: "notice", role: "alert" });
  /** The location the notice belongs to: it goes when the user moves elsewhere. */
  private noticeAt = "";
  private pane: ConversationPane | null = null;
  /** The message to show when the conversation opens (a jump). */
  private revealAt: { conversationId: number; messageId: number } | null = null;

  constructor(private readonly deps: RouterDeps) {
    deps.store.subscribe((change) => this.onChange(change));
  }

  route() {
    const { store } = this.deps;
    const match = /^#\/c\/(\d+)$/.exec(location.hash);
    const id = match ? Number(match[1]) : null;
    this.deps.setOpen(id !== null);
    if (!store.listLoaded) return;
    if (id === store.openId && this.pane) return;
    this.pane?.destroy();
    this.pane = null;
    store.select(id);
    if (this.noticeAt !== location.hash) this.notice.textContent = "";
    if (id === null) {
      replace(
        this.main,
        h("div", { class: "empty" }, h("h2", {}, "No conversation open"), h("p", {}, "Pick a conversation, start one with a username, or join a group.")),
      );
      return;
    }
    const conversation = store.conversations.get(id);
    if (!conversation) {
      replace(
        this.main,
        h(
          "div",
          { class: "empty" },
          h("h2", {}, "Conversation not found"),
          h("p", {}, "It may have been left or never existed."),
          h("a", { href: "#/" }, "Back to conversations"),
        ),
      );
      return;
    }
    this.pane = new ConversationPane(this.deps.pane, conversation);
    if (this.revealAt?.conversationId === id) this.pane.revealAt = this.revealAt.messageId;
    this.revealAt = null;
    replace(this.main, this.pane.element);
    const history = store.histories.get(id);
    this.pane.showHistory(history?.loaded ? history.messages : null, store.pendingOf(id));
    this.deps.loadNewest(id);
    // Desktop: straight to typing. Phone: to the heading, so a screen reader announces where you are.
    if (this.pane.revealing) return;
    if (matchMedia("(min-width: 700px)").matches) this.pane.focusComposer();
    else this.pane.focusHeading();
  }

  navigate(id: number) {
    if (location.hash === `#/c/${id}`) this.route();
    else location.hash = `#/c/${id}`;
  }

  /** Opens the conversation showing the message (its history holds it already: jump.ts). */
  openAt(conversationId: number, messageId: number) {
    if (this.deps.store.openId === conversationId && this.pane) return this.pane.reveal(messageId);
    this.revealAt = { conversationId, messageId };
    this.navigate(conversationId);
  }

  isReading(id: number): boolean {
    return this.deps.store.openId === id && document.visibilityState === "visible" && !!this.pane?.atBottom();
  }

  destroy() {
    this.pane?.destroy();
  }

  private onChange(change: Change) {
    const { store } = this.deps;
    switch (change.kind) {
      case "conversations":
        if (store.openId !== null) this.pane?.update(store.conversations.get(store.openId));
        return;
      case "members":
        if (change.conversationId !== undefined && store.openId === change.conversationId) this.pane?.update(store.conversations.get(change.conversationId));
        if (store.openId === change.conversationId && !this.pane) this.route();
        return;
      case "forgotten":
        if (store.openId === change.conversationId) location.hash = "#/";
        return;
      case "notice":
        this.notice.textContent = change.text;
        this.noticeAt = change.at ?? location.hash;
        return;
      default:
        this.pane?.onChange(change);
    }
  }
}
