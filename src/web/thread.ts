// A message's thread in a dialog: the message, its replies (oldest first, live), and a composer that answers it.
import { Composer, type ComposerDeps } from "./composer";
import { h } from "./dom";
import type { MessageViewActions } from "./message-view";
import { messageNode } from "./message-view";
import { openPanel } from "./panel";
import type { ChatStore } from "./store";
import type { Message } from "./types";
import { messageOf } from "./words";

export interface ThreadDeps {
  readonly store: ChatStore;
  replies(conversationId: number, messageId: number): Promise<Message[]>;
  /** Sends a reply (through the outbox: pending, retried, confirmed like any message). */
  reply(conversationId: number, text: string, file: File | null, replyTo: number): void;
  composer: Omit<ComposerDeps, "send" | "drafts">;
}

export function openThread(parent: Message, deps: ThreadDeps, actions: MessageViewActions) {
  const top = h("div", { class: "thread-parent" }, messageNode(parent, actions));
  const list = h("div", { class: "log thread-replies", role: "log", "aria-label": "Replies", tabindex: 0 });
  const status = h("p", { class: "muted", "aria-live": "polite" }, "Loading replies…");
  const composer = new Composer(
    parent.conversation_id,
    { ...deps.composer, drafts: new Map(), send: (c, text, file) => deps.reply(c, text, file, parent.id) },
    "Reply",
  );
  const panel = openPanel(`Thread: ${parent.sender_username}`, "thread", top, status, list, composer.element);
  const nodes = new Map<number, HTMLElement>();
  const show = (m: Message) => {
    const node = messageNode(m, actions);
    const old = nodes.get(m.id);
    if (old) old.replaceWith(node);
    else {
      const after = [...nodes.keys()].filter((id) => id > m.id).sort((a, b) => a - b)[0];
      list.insertBefore(node, after === undefined ? null : nodes.get(after)!);
    }
    nodes.set(m.id, node);
    status.textContent = "";
  };
  panel.onClose(
    deps.store.subscribe((change) => {
      if (change.kind !== "message") return;
      if (change.message.id === parent.id) top.replaceChildren(messageNode(change.message, actions));
      else if (change.message.reply_to === parent.id) {
        show(change.message);
        list.scrollTop = list.scrollHeight;
      }
    }),
  );
  deps.replies(parent.conversation_id, parent.id).then(
    (replies) => {
      for (const m of replies) show(deps.store.findMessage(m.conversation_id, m.id) ?? m);
      if (!replies.length) status.textContent = "No replies yet.";
      list.scrollTop = list.scrollHeight;
    },
    (error) => (status.textContent = `Could not load replies: ${messageOf(error)}`),
  );
  composer.focus();
}
