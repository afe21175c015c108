// The open conversation's header controls: who to be notified about (muted on the server, "every message" in
// this browser) and, for a group, its settings.
import type { ParleyClient } from "../client";
import { field, h } from "./dom";
import type { NotifyPrefs } from "./notifications";
import type { ChatStore } from "./store";
import type { Conversation } from "./types";
import { messageOf } from "./words";

export interface HeaderDeps {
  readonly api: ParleyClient;
  readonly store: ChatStore;
  readonly prefs: NotifyPrefs;
  groupSettings(conversation: Conversation): void;
}

export function headerActions(deps: HeaderDeps, c: Conversation): Node[] {
  const level = c.muted ? "muted" : deps.prefs.notifyAll(c.id) ? "all" : "default";
  const select = h(
    "select",
    { name: "notify" },
    h("option", { value: "default", selected: level === "default" }, c.kind === "direct" ? "Every message" : "Mentions"),
    c.kind === "group" ? h("option", { value: "all", selected: level === "all" }, "Every message") : null,
    h("option", { value: "muted", selected: level === "muted" }, "Muted"),
  );
  const notify = field("Notifications", select);
  notify.wrapper.classList.add("notify-field");
  select.addEventListener("change", async () => {
    const value = select.value;
    notify.error.textContent = "";
    deps.prefs.setNotifyAll(c.id, value === "all");
    // The store's conversation, not the one this header was drawn with: an update since (a read, a message) replaced it.
    const current = () => deps.store.conversations.get(c.id) ?? c;
    if ((value === "muted") === current().muted) return;
    try {
      const state = await deps.api.mute(c.id, value === "muted");
      const { conversation_id: _, ...fields } = state;
      Object.assign(current(), fields);
      deps.store.unread.set(c.id, state.unread_count);
      deps.store.emit({ kind: "list" }); // not "conversations": redrawing the header would take the focus away
    } catch (error) {
      notify.error.textContent = messageOf(error);
    }
  });
  return [
    notify.wrapper,
    c.kind === "group" ? h("button", { type: "button", class: "quiet", onclick: () => deps.groupSettings(c) }, "Group settings") : null,
  ].filter((n): n is HTMLElement => n !== null);
}
