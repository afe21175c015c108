// The unread total in the tab's title and on its icon, and the "New messages" divider where the reader left off.
import { h } from "./dom";
import type { ChatStore } from "./store";

const ICON_SIZE = 32;

/** Keeps "(3) Parley" and a badge on the favicon in step with the store's total. */
export class UnreadBadge {
  private readonly link = document.querySelector<HTMLLinkElement>("link[rel=icon]");
  private readonly plainIcon = this.link?.href ?? "";
  private iconUrl: string | null = null;
  private shown = -1;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: ChatStore) {
    this.unsubscribe = store.subscribe((change) => (change.kind === "list" || change.kind === "conversations") && this.update());
  }

  private update() {
    const total = this.store.totalUnread();
    if (total === this.shown) return;
    this.shown = total;
    document.title = total ? `(${total}) Parley` : "Parley";
    if (total) void this.drawIcon(total);
    else this.setIcon(null);
  }

  /** The page's icon with a red count in its corner, as a blob: URL (the CSP allows img-src blob:). */
  private async drawIcon(total: number) {
    const canvas = h("canvas", { width: ICON_SIZE, height: ICON_SIZE });
    const g = canvas.getContext("2d");
    if (!g || !this.link) return;
    const plain = new Image();
    plain.src = this.plainIcon;
    await plain.decode().catch(() => {});
    if (plain.complete && plain.naturalWidth) g.drawImage(plain, 0, 0, ICON_SIZE, ICON_SIZE);
    g.fillStyle = "#d93025";
    g.beginPath();
    g.arc(22, 10, 10, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = "#fff";
    g.font = "bold 14px sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(total > 99 ? "99" : String(total), 22, 11);
    canvas.toBlob((blob) => blob && this.shown === total && this.setIcon(URL.createObjectURL(blob)));
  }

  private setIcon(url: string | null) {
    if (!this.link) return;
    if (this.iconUrl) URL.revokeObjectURL(this.iconUrl);
    this.iconUrl = url;
    this.link.href = url ?? this.plainIcon;
    this.link.type = url ? "image/png" : "image/svg+xml";
  }

  destroy() {
    this.unsubscribe();
    document.title = "Parley";
    this.setIcon(null);
  }
}

/** The read marker to put the divider after when a conversation opens with unread messages (null: none unread). */
export function unreadSince(store: ChatStore, conversationId: number): number | null {
  const c = store.conversations.get(conversationId);
  if (!c || !store.unread.get(conversationId)) return null;
  return Math.max(c.last_read_message_id ?? 0, store.readSent.get(conversationId) ?? 0);
}

/** Puts the "New messages" divider before the first message from someone else after `after` (null: none). */
export function placeDivider(log: HTMLElement, after: number | null, meId: number) {
  const divider = log.querySelector(".new-divider") ?? h("p", { class: "new-divider", role: "separator" }, h("span", {}, "New messages"));
  const first =
    after === null
      ? undefined
      : Array.from(log.querySelectorAll<HTMLElement>(".message[data-id]")).find((m) => Number(m.dataset.id) > after && Number(m.dataset.sender) !== meId);
  if (!first) divider.remove();
  else if (first.previousElementSibling !== divider) first.before(divider);
}
