// Message search in the sidebar: all conversations or the open one, results with their snippets and the matched
// words marked (built as text and <mark> elements, never HTML), paged, each opening its message in place.
import type { ParleyClient } from "../client";
import { field, formatTime, h, replace } from "./dom";
import type { ChatStore } from "./store";
import type { SearchAnswer } from "./types";
import { messageOf } from "./words";

type Result = SearchAnswer["results"][number];

export interface SearchDeps {
  readonly api: ParleyClient;
  readonly store: ChatStore;
  openMessage(conversationId: number, messageId: number): void;
}

/** The snippet as text nodes, with each [start, end) highlight in a <mark>. */
export function markedSnippet(snippet: string, highlights: [number, number][]): (string | HTMLElement)[] {
  const parts: (string | HTMLElement)[] = [];
  let at = 0;
  for (const [start, end] of [...highlights].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start) continue;
    if (start > at) parts.push(snippet.slice(at, start));
    parts.push(h("mark", {}, snippet.slice(start, end)));
    at = end;
  }
  if (at < snippet.length) parts.push(snippet.slice(at));
  return parts;
}

export class SearchView {
  readonly element: HTMLElement;
  private readonly query = field("Search", h("input", { type: "search", name: "q", autocomplete: "off", maxlength: 200 }));
  private readonly here = h("input", { type: "checkbox", name: "here" });
  private readonly status = h("p", { class: "muted search-status", role: "status" });
  private readonly results = h("ol", { class: "search-results" });
  private readonly more = h("button", { type: "button", hidden: true }, "More results");
  private readonly closeButton = h("button", { type: "button", class: "quiet", hidden: true }, "Close search");
  private next: string | null = null;
  private asked: { q: string; conversation_id?: number } = { q: "" };

  constructor(private readonly deps: SearchDeps) {
    const form = h(
      "form",
      { class: "search-form", role: "search", "aria-label": "Search all chats" },
      this.query.wrapper,
      h("button", { type: "submit" }, "Search"),
      h("label", { class: "check" }, this.here, " Only the open conversation"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const q = this.query.input.value.trim();
      if (!q) return;
      const open = deps.store.openId;
      this.asked = { q, conversation_id: this.here.checked && open !== null ? open : undefined };
      replace(this.results);
      void this.load();
    });
    this.more.addEventListener("click", () => void this.load());
    this.closeButton.addEventListener("click", () => this.clear());
    this.element = h(
      "div",
      { class: "search" },
      form,
      h("section", { "aria-label": "Search results" }, this.status, this.results, this.more, this.closeButton),
    );
  }

  private clear() {
    replace(this.results);
    this.status.textContent = "";
    this.more.hidden = this.closeButton.hidden = true;
    this.query.input.value = "";
    this.query.input.focus();
  }

  private async load() {
    const first = !this.results.childElementCount;
    this.status.textContent = "Searching…";
    this.more.disabled = true;
    try {
      const page = await this.deps.api.search({ ...this.asked, before: first ? undefined : (this.next ?? undefined), limit: 20 });
      this.next = page.next;
      const firstNew = page.results.map((r) => this.item(r));
      this.results.append(...firstNew);
      const count = this.results.childElementCount;
      this.status.textContent = count ? `${count} result${count === 1 ? "" : "s"}${page.next ? " so far" : ""}.` : "No messages found.";
      if (!first) firstNew[0]?.querySelector("button")?.focus();
    } catch (error) {
      this.status.textContent = messageOf(error);
    } finally {
      this.more.disabled = false;
      this.more.hidden = !this.next;
      this.closeButton.hidden = false;
    }
  }

  private item(r: Result): HTMLElement {
    const where = this.deps.store.conversations.get(r.conversation_id)?.name ?? "";
    return h(
      "li",
      {},
      h(
        "button",
        { type: "button", class: "search-result", onclick: () => this.deps.openMessage(r.conversation_id, r.id) },
        h("span", { class: "line muted" }, h("span", { class: "sender" }, r.sender_username), where ? ` in ${where}` : "", " · ", formatTime(r.timestamp)),
        h("span", { class: "snippet" }, ...markedSnippet(r.snippet, r.highlights as [number, number][])),
      ),
    );
  }
}
