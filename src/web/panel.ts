// A listing panel (pins, mentions, a thread, an edit): modal.ts's dialog with a scrolling body and things to run on close.
import { type Child, formatTime, h } from "./dom";
import { type MentionKind, renderMarkdown } from "./markdown";
import { showModal } from "./modal";
import type { Message } from "./types";

export interface Panel {
  readonly dialog: HTMLDialogElement;
  readonly body: HTMLElement;
  close(): void;
  /** Runs when the panel closes (unsubscribe from the store, …). */
  onClose(run: () => void): void;
}

export function openPanel(title: string, className: string, ...children: Child[]): Panel {
  const body = h("div", { class: "panel-body" }, ...children);
  const dialog = showModal(`panel-dialog ${className}`, title, [body]);
  const closers: (() => void)[] = [];
  dialog.addEventListener("close", () => {
    for (const run of closers) run(); // after the focus went back (showModal's listener runs first)
  });
  return { dialog, body, close: () => dialog.close(), onClose: (run) => closers.push(run) };
}

/** A message in a panel's list (pins, mentions): who, where and when, its text, and a button that closes the panel and goes to it. */
export function listedMessage(panel: Panel, m: Message, where: string, mention: MentionKind, go: () => void): HTMLElement {
  const open = () => {
    panel.onClose(go); // after the focus went back, so that the jump can move it to the message
    panel.close();
  };
  return h(
    "li",
    {},
    h("p", { class: "muted" }, `${m.sender_username}${where} · ${formatTime(m.timestamp)}`),
    h("div", { class: "text" }, ...renderMarkdown(m.message, mention)),
    h("button", { type: "button", onclick: open }, "Go to message"),
  );
}
