// The sidebar's list of conversations, newest activity first, with presence, previews, unread and mention badges;
// muted ones count only mentions.
import { formatTime, h, replace } from "./dom";
import type { Change, ChatStore } from "./store";
import type { Conversation } from "./types";
import { senderName } from "./words";

const REDRAWN_ON = new Set<Change["kind"]>(["list", "conversations", "presence"]);

export class ConversationList {
  readonly status = h("p", { class: "muted list-status" });
  readonly list = h("ul", { class: "conversation-list" });
  private renderQueued = false;

  constructor(private readonly store: ChatStore) {
    this.status.textContent = store.listStatus;
    store.subscribe((change) => {
      if (!REDRAWN_ON.has(change.kind)) return;
      this.status.textContent = store.listStatus;
      this.render();
    });
  }

  /** Redraws once per task however many changes came in it, keeping the focused entry focused. */
  private render() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      const focused =
        document.activeElement instanceof HTMLElement && this.list.contains(document.activeElement) ? document.activeElement.dataset.id : undefined;
      const sorted = [...this.store.conversations.values()].sort((a, b) => activity(b) - activity(a) || b.id - a.id);
      replace(this.list, ...sorted.map((c) => this.item(c)));
      if (focused) this.list.querySelector<HTMLElement>(`[data-id="${focused}"]`)?.focus();
    });
  }

  private item(c: Conversation): HTMLElement {
    const unread = c.muted ? 0 : (this.store.unread.get(c.id) ?? 0);
    const other = c.kind === "direct" ? c.members[0] : undefined;
    const online = other ? this.store.isOnline(other.id) : false;
    const last = c.last_message;
    const preview = last ? (last.deleted ? "Message deleted" : last.message || (last.attachment ? `📎 ${last.attachment.name}` : "")) : "No messages yet";
    const link = h(
      "a",
      { href: `#/c/${c.id}`, "data-id": String(c.id), "aria-current": this.store.openId === c.id ? "page" : null, class: unread ? "unread" : null },
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
        h("span", { class: "preview" }, last && c.kind === "group" && !last.deleted ? `${senderName(last)}: ${preview}` : preview),
        c.muted ? h("span", { class: "muted-mark", role: "img", "aria-label": "muted" }, "🔕") : null,
        c.mention_count ? h("span", { class: "badge mention", "aria-label": `${c.mention_count} mentioning you` }, `@${c.mention_count}`) : null,
        unread ? h("span", { class: "badge", "aria-label": `${unread} unread` }, String(unread)) : null,
      ),
    );
    return h("li", {}, link);
  }
}

function activity(c: Conversation): number {
  return Date.parse(c.last_message?.timestamp ?? c.created_at);
}
