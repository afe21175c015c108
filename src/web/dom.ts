// Building DOM without HTML strings: every piece of text goes in as a Text node (append/textContent),
// so nothing a user typed can become markup.

type AttrValue = string | number | boolean | null | undefined;
type Attrs = Record<string, AttrValue | ((event: any) => void)>;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node & ParentNode, ...children: Child[]) {
  for (const child of children) if (child !== null && child !== undefined && child !== false) parent.append(child);
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]) {
  parent.replaceChildren();
  append(parent, ...children);
}

let idCounter = 0;
export const uid = (prefix: string) => `${prefix}-${++idCounter}`;

/** A labelled input: a visible <label> tied to the field, and a place for the field's error. */
export function field<T extends HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(
  label: string,
  input: T,
): { wrapper: HTMLElement; input: T; error: HTMLElement } {
  input.id ||= uid("field");
  const error = h("p", { class: "field-error", id: `${input.id}-error` });
  input.setAttribute("aria-describedby", error.id);
  return { wrapper: h("div", { class: "field" }, h("label", { for: input.id }, label), input, error), input, error };
}

/** Only URLs on this server (the signed file URLs the API hands out) are put in src or href. */
export function sameOriginUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url, location.origin);
    return parsed.origin === location.origin && (parsed.protocol === "http:" || parsed.protocol === "https:") ? parsed.pathname + parsed.search : null;
  } catch {
    return null;
  }
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
