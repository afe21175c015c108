// Desktop notifications while the page is open but hidden: direct messages and mentions in unmuted conversations,
// and every message in those set to "notify on all" — a per-user choice kept in this browser's localStorage (it
// only matters to the page that shows the notification; Web Push has its own server-side rules).
import type { ChatStore } from "./store";
import type { Message } from "./types";
import { senderName } from "./words";

export class NotifyPrefs {
  private readonly key: string;
  private readonly all: Set<number>;

  constructor(userId: number) {
    this.key = `parley.notify-all.${userId}`;
    let stored: unknown = [];
    try {
      stored = JSON.parse(localStorage.getItem(this.key) ?? "[]");
    } catch {}
    this.all = new Set(Array.isArray(stored) ? stored.filter(Number.isInteger) : []);
  }

  notifyAll(conversationId: number): boolean {
    return this.all.has(conversationId);
  }

  setNotifyAll(conversationId: number, on: boolean) {
    if (on) this.all.add(conversationId);
    else this.all.delete(conversationId);
    localStorage.setItem(this.key, JSON.stringify([...this.all]));
  }
}

export const notificationsSupported = () => typeof Notification !== "undefined";

export class DesktopNotifier {
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ChatStore,
    private readonly prefs: NotifyPrefs,
    private readonly open: (conversationId: number) => void,
  ) {
    this.unsubscribe = store.subscribe((change) => change.kind === "arrived" && this.arrived(change.message));
  }

  private arrived(m: Message) {
    const { store } = this;
    if (document.visibilityState !== "hidden" || !notificationsSupported() || Notification.permission !== "granted") return;
    const c = store.conversations.get(m.conversation_id);
    if (!c || c.muted || m.deleted) return;
    if (!(c.kind === "direct" || m.mentions.includes(store.me.id) || this.prefs.notifyAll(c.id))) return;
    const text = m.message || (m.attachment ? `📎 ${m.attachment.name}` : "");
    const notification = new Notification(c.kind === "direct" ? senderName(m) : `${senderName(m)} in ${c.name}`, {
      body: text.length > 140 ? `${text.slice(0, 139)}…` : text,
      tag: `parley-${c.id}`,
    });
    notification.onclick = () => {
      window.focus();
      this.open(c.id);
      notification.close();
    };
  }

  destroy() {
    this.unsubscribe();
  }
}
