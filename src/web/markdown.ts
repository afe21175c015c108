// A small Markdown subset for message text — bold, italic, strikethrough, inline code, code blocks, quotes, lists,
// http(s) links and @mentions — parsed in one pass (linear time) into a tree that is then built as DOM nodes:
// nothing the sender typed is ever read as HTML. The stored text stays as typed.
import { type Child, h } from "./dom";

export type Inline =
  | string
  | { kind: "strong" | "em" | "del"; children: Inline[] }
  | { kind: "code"; text: string }
  | { kind: "link"; href: string }
  | { kind: "mention"; name: string };

export type Block =
  | { kind: "p"; children: Inline[] }
  | { kind: "pre"; text: string }
  | { kind: "blockquote"; children: Inline[] }
  | { kind: "ul" | "ol"; items: Inline[][] };

const MARKERS: Record<string, "strong" | "em" | "del"> = { "**": "strong", __: "strong", "*": "em", _: "em", "~~": "del" };
/** Deeper nesting is kept as text: it bounds the work of closing a marker, so parsing stays linear. */
const MAX_DEPTH = 8;
const WORD = /[\p{L}\p{N}]/u;
const MENTION_START = /[\p{L}\p{N}_.@+-]/u;
const MENTION = /^@([\p{L}\p{N}_.@+-]{1,150})/u;
const URL_AT = /^https?:\/\/[^\s<>"]+/i;

/** Text with inline marks: emphasis by a stack of open markers, code spans and links read whole. */
export function parseInline(text: string): Inline[] {
  type Frame = { marker: string; children: Inline[] };
  const stack: Frame[] = [{ marker: "", children: [] }];
  let plain = "";
  const top = () => stack[stack.length - 1]!;
  const flush = () => {
    if (plain) top().children.push(plain);
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const before = text[i - 1] ?? " ";
    if (c === "\\" && i + 1 < text.length && /[\\`*_~@[\]]/.test(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        top().children.push({ kind: "code", text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if ((c === "h" || c === "H") && text.slice(i, i + 4).toLowerCase() === "http" && !WORD.test(before)) {
      const url = URL_AT.exec(text.slice(i, i + 2048))?.[0];
      if (url) {
        const href = url.replace(/[.,;:!?'")\]]+$/, "");
        flush();
        top().children.push({ kind: "link", href });
        i += href.length;
        continue;
      }
    }
    if (c === "@" && !MENTION_START.test(before)) {
      const name = MENTION.exec(text.slice(i, i + 152))?.[1]?.replace(/[.@+-]+$/u, "");
      if (name) {
        flush();
        top().children.push({ kind: "mention", name });
        i += name.length + 1;
        continue;
      }
    }
    const double = text.slice(i, i + 2);
    let marker = MARKERS[double] && double[0] === double[1] ? double : MARKERS[c] && c !== "~" ? c : "";
    // "***" after "**a *b": the innermost open marker closes first.
    if (marker.length === 2 && c !== "~" && stack.findLastIndex((f) => f.marker === c) > stack.findLastIndex((f) => f.marker === marker)) marker = c;
    if (marker) {
      const after = text[i + marker.length] ?? " ";
      // "_" marks only whole words: snake_case stays as typed.
      const underscore = marker[0] === "_";
      const openAt = stack.findLastIndex((f) => f.marker === marker);
      if (openAt > 0 && before.trim() && !(underscore && WORD.test(after))) {
        flush();
        // Markers opened after this one and never closed are text again.
        while (stack.length - 1 > openAt) {
          const unclosed = stack.pop()!;
          top().children.push(unclosed.marker, ...unclosed.children);
        }
        const closed = stack.pop()!;
        top().children.push({ kind: MARKERS[marker]!, children: closed.children });
        i += marker.length;
        continue;
      }
      if (after.trim() && !(underscore && WORD.test(before)) && stack.length <= MAX_DEPTH) {
        flush();
        stack.push({ marker, children: [] });
        i += marker.length;
        continue;
      }
      plain += marker;
      i += marker.length;
      continue;
    }
    plain += c;
    i++;
  }
  flush();
  while (stack.length > 1) {
    const unclosed = stack.pop()!;
    top().children.push(unclosed.marker, ...unclosed.children);
  }
  return stack[0]!.children;
}

const FENCE = /^\s*```/;
const QUOTE = /^>\s?/;
const BULLET = /^\s*[-*+]\s+/;
const NUMBER = /^\s*\d{1,9}[.)]\s+/;

/** Lines into blocks: fenced code, quotes, lists, and paragraphs (line breaks kept). */
export function parseMarkdown(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let i = 0;
  const run = (test: RegExp) => {
    const taken: string[] = [];
    while (i < lines.length && test.test(lines[i]!)) taken.push(lines[i++]!.replace(test, ""));
    return taken;
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (FENCE.test(line)) {
      const code: string[] = [];
      i++;
      while (i < lines.length && !FENCE.test(lines[i]!)) code.push(lines[i++]!);
      i++;
      blocks.push({ kind: "pre", text: code.join("\n") });
    } else if (QUOTE.test(line)) blocks.push({ kind: "blockquote", children: parseInline(run(QUOTE).join("\n")) });
    else if (BULLET.test(line)) blocks.push({ kind: "ul", items: run(BULLET).map(parseInline) });
    else if (NUMBER.test(line)) blocks.push({ kind: "ol", items: run(NUMBER).map(parseInline) });
    else {
      const paragraph: string[] = [];
      while (i < lines.length && (paragraph.length === 0 || ![FENCE, QUOTE, BULLET, NUMBER].some((r) => r.test(lines[i]!)))) paragraph.push(lines[i++]!);
      blocks.push({ kind: "p", children: parseInline(paragraph.join("\n")) });
    }
  }
  return blocks;
}

/** How a mention shows: "me" (the reader), "other" (a member), or null (not a member: plain text). */
export type MentionKind = (name: string) => "me" | "other" | null;

function inlineNodes(nodes: Inline[], mention: MentionKind): Child[] {
  return nodes.map((node) => {
    if (typeof node === "string") return node;
    switch (node.kind) {
      case "code":
        return h("code", {}, node.text);
      case "link":
        return h("a", { href: node.href, target: "_blank", rel: "noopener noreferrer" }, node.href);
      case "mention": {
        const kind = mention(node.name);
        return kind ? h("span", { class: `mention${kind === "me" ? " me" : ""}` }, `@${node.name}`) : `@${node.name}`;
      }
      default:
        return h(node.kind, {}, ...inlineNodes(node.children, mention));
    }
  });
}

/** The message's text as DOM nodes (text nodes and a few plain elements, nothing else). */
export function renderMarkdown(text: string, mention: MentionKind): Child[] {
  return parseMarkdown(text).map((block) => {
    switch (block.kind) {
      case "p":
        return h("p", {}, ...inlineNodes(block.children, mention));
      case "pre":
        return h("pre", { tabindex: 0 }, h("code", {}, block.text));
      case "blockquote":
        return h("blockquote", {}, ...inlineNodes(block.children, mention));
      default:
        return h(block.kind, {}, ...block.items.map((item) => h("li", {}, ...inlineNodes(item, mention))));
    }
  });
}
