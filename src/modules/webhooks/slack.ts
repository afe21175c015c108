// Slack's incoming-webhook payload, as Alertmanager, Grafana, CI systems and curl scripts send it, turned into one
// readable plain-text message. Pure functions: no database, no HTTP.
//   text                      the message (Slack's mrkdwn links and escapes made readable)
//   blocks                    section text and fields, header, context elements (then `text` is only Slack's fallback)
//   attachments               pretext, author, title (and link), text, fields as "title: value", footer;
//                             `fallback` alone when an attachment has nothing else
//   username                  the name shown for this message
// Anything else (icon_emoji, channel, mrkdwn flags, colors, actions) is ignored, as Slack ignores what it cannot show.

export type SlackRefusal = "invalid_payload" | "no_text";
export interface SlackPost {
  text: string;
  username: string | null;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "");
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Slack's markup to plain text: `<url|label>` → "label (url)", `<url>` → url, `<!here>` → @here, `&amp;` → &. */
export function plainText(mrkdwn: string): string {
  return mrkdwn
    .replace(/<([^<>|\s]+)\|([^<>]*)>/g, (_, url: string, label: string) => (label && label !== url ? `${label} (${url})` : url))
    .replace(/<!(here|channel|everyone)(\|[^<>]*)?>/g, "@$1")
    .replace(/<([@#!][^<>|]+)\|([^<>]+)>/g, "$2")
    .replace(/<((?:https?|mailto):[^<>\s]+)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** A text object's text (`{type: "mrkdwn"|"plain_text", text}`), or a plain string. */
const textOf = (value: unknown): string => (isObject(value) ? str(value.text) : str(value));

function blockLines(blocks: unknown[]): string[] {
  const lines: string[] = [];
  for (const block of blocks) {
    if (!isObject(block)) continue;
    switch (block.type) {
      case "header":
      case "section": {
        const text = textOf(block.text);
        if (text) lines.push(text);
        const fields = list(block.fields).map(textOf).filter(Boolean);
        if (fields.length) lines.push(fields.join("\n"));
        break;
      }
      case "context": {
        const parts = list(block.elements).map(textOf).filter(Boolean);
        if (parts.length) lines.push(parts.join(" "));
        break;
      }
      case "rich_text":
        lines.push(richText(block.elements));
        break;
    }
  }
  return lines.filter(Boolean);
}

/** rich_text: the text of its sections' elements, one section a line. */
function richText(elements: unknown): string {
  return list(elements)
    .map((section) =>
      isObject(section)
        ? list(section.elements)
            .map((e) => (isObject(e) ? str(e.text) || str(e.url) || (e.name ? `:${str(e.name)}:` : "") : ""))
            .join("")
        : "",
    )
    .filter(Boolean)
    .join("\n");
}

function attachmentLines(attachment: unknown): string[] {
  if (!isObject(attachment)) return [];
  const lines: string[] = [];
  const pretext = str(attachment.pretext);
  if (pretext) lines.push(pretext);
  const author = str(attachment.author_name);
  if (author) lines.push(author);
  const title = str(attachment.title);
  const link = str(attachment.title_link);
  if (title) lines.push(link && link !== title ? `${title} (${link})` : title);
  const text = str(attachment.text).trim();
  if (text) lines.push(text);
  for (const field of list(attachment.fields)) {
    if (!isObject(field)) continue;
    const [name, value] = [str(field.title), str(field.value)];
    if (name || value) lines.push(name && value ? `${name}: ${value}` : name || value);
  }
  lines.push(...blockLines(list(attachment.blocks)));
  // The fallback is Slack's plain summary: used when the attachment shows nothing else.
  if (lines.length === (pretext ? 1 : 0)) {
    const fallback = str(attachment.fallback);
    if (fallback) lines.push(fallback);
  }
  const footer = str(attachment.footer);
  if (footer && lines.length) lines.push(footer);
  return lines;
}

/** The body parsed: JSON, or a form whose `payload` field holds the JSON (Slack takes both). */
export function parseSlackBody(raw: string, contentType: string): unknown {
  let json = raw;
  if (contentType.startsWith("application/x-www-form-urlencoded") || (!raw.trimStart().startsWith("{") && raw.startsWith("payload="))) {
    const payload = new URLSearchParams(raw).get("payload");
    if (payload === null) return undefined;
    json = payload;
  }
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/** The message a payload stands for, or why Slack would refuse it. */
export function slackPost(payload: unknown): SlackPost | SlackRefusal {
  if (!isObject(payload)) return "invalid_payload";
  if (payload.text !== undefined && payload.text !== null && typeof payload.text !== "string") return "invalid_payload";
  if (payload.blocks !== undefined && !Array.isArray(payload.blocks)) return "invalid_payload";
  if (payload.attachments !== undefined && payload.attachments !== null && !Array.isArray(payload.attachments)) return "invalid_payload";
  const blocks = blockLines(list(payload.blocks));
  const body = (blocks.length ? blocks.join("\n") : str(payload.text)).trim();
  const attachments = list(payload.attachments)
    .map((a) => attachmentLines(a).join("\n"))
    .filter(Boolean);
  const text = plainText([body, ...attachments].filter(Boolean).join("\n\n"))
    .replaceAll("\u0000", "")
    .trim();
  if (!text) return "no_text";
  const username = str(payload.username).trim().slice(0, 80) || null;
  return { text, username };
}
