// The logged-in app: lays out the sidebar and the open conversation, and wires the store, the server and the views.
import type { ParleyClient } from "../client";
import { showAccount } from "./account-view";
import { showAdmin } from "./admin-view";
import { ChatClient } from "./client";
import { ConversationList } from "./conversation-list";
import { Dialogs } from "./dialogs";
import { h, replace } from "./dom";
import { showGroupSettings } from "./group-settings";
import { headerActions } from "./header-actions";
import { installJump, loadAround } from "./jump";
import type { MessageServices } from "./message-actions";
import { openMentions } from "./mentions";
import { DesktopNotifier, NotifyPrefs } from "./notifications";
import { messageOf } from "./words";
import { Router } from "./router";
import { SearchView } from "./search-view";
import { ChatStore } from "./store";
import { disableWebPush, resumeWebPush } from "./push";
import { UnreadBadge, unreadSince } from "./unread";

export class Chat {
  private readonly store: ChatStore;
  private readonly client: ChatClient;
  private readonly router: Router;
  private readonly shell: HTMLElement;
  private readonly connection = h("p", { class: "connection", role: "status" });
  private readonly messages: MessageServices;
  private readonly adminButton = h("button", { type: "button", class: "quiet", hidden: true, onclick: () => showAdmin(this.api) }, "Admin");
  private readonly badge: UnreadBadge;
  private readonly notifier: DesktopNotifier;
  private isStaff = false;

  constructor(
    private readonly api: ParleyClient,
    private readonly root: HTMLElement,
  ) {
    const store = (this.store = new ChatStore({ id: api.session!.user.id, username: api.session!.user.username }));
    const client = (this.client = new ChatClient(api, store, (id) => this.router.isReading(id)));
    const messages: MessageServices = { api, store, isStaff: () => this.isStaff, jump: (c, id) => void this.jump(c, id) };
    this.messages = messages;
    const prefs = new NotifyPrefs(store.me.id);
    const open = (id: number) => {
      this.router.navigate(id);
      this.router.route();
    };
    const groupSettings = {
      api,
      store,
      isStaff: () => this.isStaff,
      refreshConversations: () => client.refreshConversations(),
      leave: (c: Parameters<ChatClient["leave"]>[0]) => client.leave(c),
    };
    this.badge = new UnreadBadge(store);
    this.notifier = new DesktopNotifier(store, prefs, open);
    this.router = new Router({
      store,
      loadNewest: (id) => void client.loadNewest(id),
      setOpen: (open) => this.shell.classList.toggle("has-open", open),
      pane: {
        meId: store.me.id,
        drafts: store.drafts,
        isOnline: (userId) => store.isOnline(userId),
        hasOlder: (id) => store.hasOlder(id),
        typingIn: (id) => store.typingIn(id),
        send: (id, text, file) => client.outbox.send(id, text, file),
        retry: (p) => void client.outbox.attemptSend(p),
        discard: (p) => client.outbox.discard(p),
        loadOlder: (id) => void client.loadOlder(id),
        markRead: (id) => client.markRead(id),
        sendTyping: (id) => client.sendTyping(id),
        leave: (conversation) => void client.leave(conversation),
        fileUrl: (messageId) => client.fileUrl(messageId),
        messages,
        reply: (id, text, file, replyTo) => client.outbox.send(id, text, file, replyTo),
        mentionable: (id) => (store.conversations.get(id)?.members ?? []).map((m) => m.username).filter((name) => name !== store.me.username),
        unreadSince: (id) => unreadSince(store, id),
        headerActions: (c) => headerActions({ api, store, prefs, groupSettings: (g) => void showGroupSettings(groupSettings, g) }, c),
      },
    });
    const dialogs = new Dialogs({
      api,
      added: (conversation) => client.addConversation(conversation),
      refreshConversations: () => client.refreshConversations(),
      navigate: (id) => this.router.navigate(id),
    });
    const search = new SearchView({ api, store, openMessage: (c, m) => void this.jump(c, m) });
    this.shell = this.layout(new ConversationList(store), dialogs, search);
    store.subscribe((change) => {
      if (change.kind !== "connection") return;
      this.connection.textContent = change.state === "reconnecting" ? "Reconnecting…" : change.state === "connecting" ? "Connecting…" : "";
      this.shell.classList.toggle("offline", change.state === "reconnecting");
    });
    document.addEventListener("visibilitychange", this.onVisible);
    installJump((c, id) => this.jump(c, id));
    resumeWebPush(api);
  }

  /** Opens a conversation at a message, its surroundings loaded (jump.ts). */
  private async jump(conversationId: number, messageId: number) {
    const { store } = this;
    if (!store.conversations.has(conversationId)) return store.emit({ kind: "notice", text: "That conversation is not one of yours." });
    try {
      await loadAround(this.api, store, conversationId, messageId);
    } catch (error) {
      return store.emit({ kind: "notice", text: `Could not open the message: ${messageOf(error)}` });
    }
    if (store.openId === conversationId)
      store.emit({ kind: "history", conversationId, messages: store.history(conversationId).messages, pending: store.pendingOf(conversationId) });
    this.router.openAt(conversationId, messageId);
  }

  mount() {
    replace(this.root, this.shell);
    void this.client.start().then(() => this.route());
    // Only staff get an answer from the admin API: that is how the page knows to offer the admin view.
    this.api.adminUsers({ limit: 1 }).then(
      () => {
        this.isStaff = true;
        this.adminButton.hidden = false;
      },
      () => {},
    );
  }

  route() {
    this.router.route();
  }

  destroy() {
    this.client.stop();
    this.router.destroy();
    installJump(null);
    this.badge.destroy();
    this.notifier.destroy();
    for (const dialog of Array.from(document.querySelectorAll("dialog"))) dialog.close();
    document.removeEventListener("visibilitychange", this.onVisible);
  }

  private onVisible = () => {
    if (document.visibilityState === "visible" && this.store.openId !== null) this.client.markRead(this.store.openId);
  };

  private layout(list: ConversationList, dialogs: Dialogs, search: SearchView): HTMLElement {
    const logout = h("button", { type: "button", class: "quiet", onclick: () => void this.logout() }, "Log out");
    const header = h(
      "header",
      { class: "sidebar-header" },
      h("h1", { class: "brand" }, "Parley"),
      h("span", { class: "me" }, `@${this.store.me.username}`),
      this.adminButton,
      h("button", { type: "button", class: "quiet", onclick: () => void showAccount(this.api) }, "Settings"),
      logout,
    );
    const actions = h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => dialogs.showNewGroup() }, "New group"),
      h("button", { type: "button", onclick: () => void dialogs.showDirectory() }, "Browse groups"),
      h("button", { type: "button", onclick: () => openMentions(this.messages) }, "Mentions"),
    );
    const sidebar = h(
      "aside",
      { class: "sidebar" },
      header,
      this.connection,
      search.element,
      dialogs.directForm(),
      actions,
      dialogs.panel,
      h("nav", { "aria-label": "Conversations" }, h("h2", { class: "visually-hidden" }, "Conversations"), list.status, list.list),
    );
    return h("div", { class: "chat" }, sidebar, h("main", { class: "main" }, this.router.notice, this.router.main));
  }

  private async logout() {
    await disableWebPush(this.api).catch(() => {}); // this browser stops receiving the account's pushes
    await this.api.logout().catch(() => {});
  }
}
