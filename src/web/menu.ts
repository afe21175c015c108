// A menu button (WAI-ARIA menu pattern): opens with Enter, Space, ArrowDown or a click; arrows, Home and End move
// between items, Escape closes it and gives focus back to the button, Tab and a click elsewhere close it.
import { h, uid } from "./dom";

export interface MenuItem {
  label: string;
  /** The accessible name when the label alone says too little (an emoji). */
  name?: string;
  run(): void;
}

let closeOpen: (() => void) | null = null;

/** A button that opens a menu of `items()` (asked each time it opens) next to itself. */
export function menuButton(attrs: Record<string, string>, text: string, menuName: string, items: () => MenuItem[]): { element: HTMLElement; open(): void } {
  const id = uid("menu");
  const button = h("button", { type: "button", "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": id, ...attrs }, text);
  const wrap = h("span", { class: "menu-wrap" }, button);
  const open = (last = false) => {
    closeOpen?.();
    const entries = items().map((item) =>
      h("button", { type: "button", role: "menuitem", tabindex: -1, "aria-label": item.name ?? null, onclick: () => choose(item) }, item.label),
    );
    const menu = h("div", { role: "menu", id, "aria-label": menuName, class: "menu" }, ...entries);
    const close = (refocus: boolean) => {
      menu.remove();
      button.setAttribute("aria-expanded", "false");
      document.removeEventListener("pointerdown", outside, true);
      if (closeOpen === closeThis) closeOpen = null;
      if (refocus) button.focus();
    };
    const closeThis = () => close(false);
    const outside = (event: Event) => !wrap.contains(event.target as Node) && close(false);
    const choose = (item: MenuItem) => {
      close(true);
      item.run();
    };
    menu.addEventListener("keydown", (event) => {
      const at = entries.indexOf(document.activeElement as HTMLButtonElement);
      const move: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: entries.length - 1 };
      if (event.key in move) entries[(move[event.key]! + entries.length) % entries.length]!.focus();
      else if (event.key === "Escape") close(true);
      else if (event.key === "Tab") return close(false);
      else return;
      event.preventDefault();
      event.stopPropagation();
    });
    wrap.append(menu);
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("pointerdown", outside, true);
    closeOpen = closeThis;
    entries[last ? entries.length - 1 : 0]?.focus();
  };
  button.addEventListener("click", () => (button.getAttribute("aria-expanded") === "true" ? closeOpen?.() : open()));
  button.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    event.preventDefault();
    open(event.key === "ArrowUp");
  });
  return { element: wrap, open: () => open() };
}
