// How one message looks in the log: a stored one (text, attachment or inline image, "Seen by" line) or one
// still being sent (progress, or the failure with Retry and Discard).
import { formatSize, formatTime, h, sameOriginUrl } from "./dom";
import { INLINE_IMAGE_TYPES } from "./inline-images";
import { renderMarkdown } from "./markdown";
import type { MessageActions } from "./message-actions";
import type { PendingMessage } from "./store";
import type { Message } from "./types";
import { senderName } from "./words";

export interface MessageViewActions {
  readonly meId: number;
  /** A fresh signed URL for the message's file (null: not available, already said so). */
  freshFileUrl(messageId: number): Promise<string | null>;
  retry(p: PendingMessage): void;
  discard(p: PendingMessage): void;
  /** Menus, reactions, replies and mentions (message-actions.ts); without them, the text alone. */
  readonly messages?: MessageActions;
}

export function messageNode(m: Message, actions: MessageViewActions): HTMLElement {
  const mine = m.sender === actions.meId;
  const extras = actions.messages?.extras(m);
  const mentionsMe = m.mentions.includes(actions.meId);
  const body = m.deleted
    ? h("p", { class: "text deleted" }, "Message deleted")
    : m.message
      ? h("div", { class: "text" }, ...renderMarkdown(m.message, actions.messages?.mention ?? (() => null)))
      : null;
  return h(
    "article",
    {
      class: `message${mine ? " mine" : ""}${mentionsMe ? " mentions-me" : ""}`,
      "data-id": String(m.id),
      "data-sender": String(m.sender),
      tabindex: -1,
      "aria-label": `${mine ? "You" : senderName(m)}${m.sender_is_bot ? " (bot)" : ""}, ${formatTime(m.timestamp)}${mentionsMe ? ", mentions you" : ""}`,
    },
    h(
      "header",
      {},
      h("span", { class: "sender" }, mine ? "You" : senderName(m)),
      m.sender_is_bot ? h("span", { class: "badge bot" }, "BOT") : null,
      h("time", { datetime: m.timestamp }, formatTime(m.timestamp)),
      m.edited_at && !m.deleted ? h("span", { class: "edited" }, "(edited)") : null,
      extras?.header,
    ),
    extras?.before,
    body,
    m.deleted ? null : attachmentNode(m, actions),
    extras?.after,
    h("p", { class: "seen muted" }),
  );
}

function attachmentNode(m: Message, actions: MessageViewActions): HTMLElement | null {
  const a = m.attachment;
  if (!a) return null;
  const url = sameOriginUrl(m.file);
  if (a.expired || !url) return h("p", { class: "attachment muted" }, `${a.name} (${formatSize(a.size)}) — no longer available`);
  if (INLINE_IMAGE_TYPES.has(a.content_type)) {
    const img = h("img", { src: url, alt: a.name, loading: "lazy", decoding: "async" });
    let retried = false;
    // A signed URL lives minutes: an image first shown later asks for a fresh one.
    img.addEventListener("error", async () => {
      if (retried) return;
      retried = true;
      const fresh = await actions.freshFileUrl(m.id);
      if (fresh) img.src = fresh;
    });
    return h("a", { class: "attachment image", href: url, target: "_blank", rel: "noopener" }, img);
  }
  const link = h("a", { href: url, download: a.name, class: "attachment file" }, `⬇ ${a.name}`);
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const fresh = (await actions.freshFileUrl(m.id)) ?? url;
    const temporary = h("a", { href: fresh, download: a.name, hidden: true });
    document.body.append(temporary);
    temporary.click();
    temporary.remove();
  });
  return h("p", { class: "attachment" }, link, h("span", { class: "muted" }, ` ${formatSize(a.size)} · ${a.content_type}`));
}

export function pendingNode(p: PendingMessage, actions: MessageViewActions): HTMLElement {
  const status =
    p.status === "sending"
      ? h("p", { class: "status muted" }, p.file ? "Uploading…" : "Sending…")
      : h(
          "p",
          { class: "status failed", role: "alert" },
          `Not sent: ${p.error} `,
          h("button", { type: "button", onclick: () => actions.retry(p) }, "Retry"),
          " ",
          h("button", { type: "button", class: "quiet", onclick: () => actions.discard(p) }, "Discard"),
        );
  return h(
    "article",
    { class: "message mine pending", "data-pending": "true", "aria-busy": p.status === "sending" ? "true" : null },
    h("header", {}, h("span", { class: "sender" }, "You")),
    p.text ? h("p", { class: "text" }, p.text) : null,
    p.file
      ? h(
          "div",
          { class: "attachment" },
          p.previewUrl ? h("img", { src: p.previewUrl, alt: p.file.name }) : h("span", {}, p.file.name),
          p.status === "sending" ? h("progress", { max: 1, value: p.progress, "aria-label": `Uploading ${p.file.name}` }) : null,
        )
      : null,
    status,
  );
}
