// A conversation's pinned messages in a dialog, most recently pinned first, each opening the message in place;
// kept current while open (a pin or unpin by anyone refetches the list).
import type { ParleyClient } from "../client";
import { h, replace } from "./dom";
import type { MentionKind } from "./markdown";
import { listedMessage, openPanel } from "./panel";
import type { ChatStore } from "./store";
import type { Message } from "./types";
import { messageOf } from "./words";

export interface PinsDeps {
  readonly api: ParleyClient;
  readonly store: ChatStore;
  jump(conversationId: number, messageId: number): void;
}

export function openPins(conversationId: number, deps: PinsDeps, mention: MentionKind) {
  const list = h("ul", { class: "pin-list" });
  const status = h("p", { class: "muted", "aria-live": "polite" }, "Loading…");
  const panel = openPanel("Pinned messages", "pins", status, list);
  let pinned = new Set<number>();
  const item = (m: Message) => listedMessage(panel, m, "", mention, () => deps.jump(conversationId, m.id));
  const load = () =>
    deps.api.pins(conversationId).then(
      (messages) => {
        pinned = new Set(messages.map((m) => m.id));
        replace(list, ...messages.map(item));
        status.textContent = messages.length ? "" : "Nothing is pinned here yet.";
      },
      (error) => (status.textContent = `Could not load the pins: ${messageOf(error)}`),
    );
  panel.onClose(
    deps.store.subscribe((change) => {
      if (change.kind === "message" && change.message.conversation_id === conversationId && change.message.pinned !== pinned.has(change.message.id))
        void load();
    }),
  );
  void load();
}
