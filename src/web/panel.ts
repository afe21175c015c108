// A modal <dialog> with a heading and a Close button: focus moves in, stays in, and goes back where it was on close
// (Escape closes it too); it leaves the page when closed.
import { type Child, formatTime, h, uid } from "./dom";
import { type MentionKind, renderMarkdown } from "./markdown";
import type { Message } from "./types";

export interface Panel {
  readonly dialog: HTMLDialogElement;
  readonly body: HTMLElement;
  close(): void;
  /** Runs when the panel closes (unsubscribe from the store, …). */
  onClose(run: () => void): void;
}

export function openPanel(title: string, className: string, ...children: Child[]): Panel {
  const id = uid("panel");
  const returnTo = document.activeElement as HTMLElement | null;
  const body = h("div", { class: "panel-body" }, ...children);
  const dialog = h(
    "dialog",
    { class: `panel-dialog ${className}`, "aria-labelledby": id },
    h("header", {}, h("h2", { id }, title), h("button", { type: "button", class: "quiet", onclick: () => dialog.close() }, "Close")),
    body,
  );
  const closers: (() => void)[] = [];
  dialog.addEventListener("close", () => {
    if (returnTo?.isConnected) returnTo.focus();
    dialog.remove();
    for (const run of closers) run();
  });
  document.body.append(dialog);
  dialog.showModal();
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
