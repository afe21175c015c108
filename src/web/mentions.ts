// @username: completion in the composer (a listbox driven from the text field with aria-activedescendant: arrows
// move, Enter or Tab picks, Escape closes), and the "Mentions" view of the messages that mention me.
import type { ParleyClient } from "../client";
import { h, replace, uid } from "./dom";
import { listedMessage, openPanel } from "./panel";
import type { ChatStore } from "./store";
import type { Message } from "./types";
import { messageOf } from "./words";

/** The "@part" being typed right before the caret. */
const TYPED = /(?:^|[^\p{L}\p{N}_.@+-])@([\p{L}\p{N}_.+-]{0,50})$/u;

export function mentionAutocomplete(input: HTMLTextAreaElement, names: () => string[]): HTMLElement {
  const list = h("ul", { role: "listbox", id: uid("mentions"), class: "mention-list", "aria-label": "Members to mention", hidden: true });
  let options: { name: string; node: HTMLElement }[] = [];
  let active = 0;
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  const close = () => {
    list.hidden = true;
    options = [];
    input.removeAttribute("aria-activedescendant");
  };
  const highlight = (index: number) => {
    active = (index + options.length) % options.length;
    for (const [i, o] of options.entries()) o.node.setAttribute("aria-selected", String(i === active));
    input.setAttribute("aria-activedescendant", options[active]!.node.id);
  };
  const pick = (name: string) => {
    const caret = input.selectionStart;
    const start = input.value.lastIndexOf("@", caret - 1);
    input.value = `${input.value.slice(0, start)}@${name} ${input.value.slice(caret)}`;
    input.selectionStart = input.selectionEnd = start + name.length + 2;
    close();
    input.dispatchEvent(new Event("input"));
  };
  const update = () => {
    const typed = TYPED.exec(input.value.slice(0, input.selectionStart))?.[1];
    if (typed === undefined) return close();
    const prefix = typed.toLowerCase();
    const found = names()
      .filter((n) => n.toLowerCase().startsWith(prefix) && n.toLowerCase() !== prefix)
      .slice(0, 8);
    if (!found.length) return close();
    options = found.map((name) => {
      const node = h("li", { role: "option", id: uid("mention"), "aria-selected": "false" }, `@${name}`);
      node.addEventListener("mousedown", (event) => {
        event.preventDefault(); // keep the focus in the text field
        pick(name);
      });
      return { name, node };
    });
    replace(list, ...options.map((o) => o.node));
    list.hidden = false;
    highlight(0);
  };
  input.addEventListener("input", update);
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (event) => {
    if (list.hidden || event.isComposing) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    else if (event.key === "Enter" || event.key === "Tab") pick(options[active]!.name);
    else if (event.key === "Escape") {
      close();
      event.stopPropagation(); // not the dialog's Escape
    } else return;
    event.preventDefault();
  });
  return list;
}

export interface MentionsDeps {
  readonly api: ParleyClient;
  readonly store: ChatStore;
  jump(conversationId: number, messageId: number): void;
}

/** The messages that mention me, newest first, each opening in its conversation; new ones come in live. */
export function openMentions(deps: MentionsDeps) {
  const { store } = deps;
  const list = h("ul", { class: "mention-results" });
  const status = h("p", { class: "muted", "aria-live": "polite" }, "Loading…");
  const panel = openPanel("Mentions", "mentions", status, list);
  const shown = new Set<number>();
  const item = (m: Message) => {
    shown.add(m.id);
    const where = store.conversations.get(m.conversation_id)?.name ?? "a conversation";
    const me = store.me.username.toLowerCase();
    return listedMessage(
      panel,
      m,
      ` in ${where}`,
      (name) => (name.toLowerCase() === me ? "me" : null),
      () => deps.jump(m.conversation_id, m.id),
    );
  };
  panel.onClose(
    store.subscribe((change) => {
      if (change.kind !== "message" || shown.has(change.message.id) || !change.message.mentions.includes(store.me.id)) return;
      list.prepend(item(change.message));
      status.textContent = "";
    }),
  );
  deps.api.mentions({ limit: 50 }).then(
    (messages) => {
      for (const m of messages) if (!shown.has(m.id)) list.append(item(m));
      status.textContent = shown.size ? "" : "Nobody has mentioned you yet.";
    },
    (error) => (status.textContent = `Could not load mentions: ${messageOf(error)}`),
  );
}
