// The staff view: users (search, deactivate, reactivate) and groups. Shown only to staff (the admin API answers
// them; everyone else gets 403, and the page asks once to know).
import type { ParleyClient } from "../client";
import { field, h, replace } from "./dom";
import { botsSection } from "./integrations";
import { openDialog } from "./modal";
import type { AdminGroup, AdminUser } from "./types";
import { messageOf } from "./words";

const PAGE = 50;

/** A searchable, paged list: `load` fetches a page after the given cursor. */
function pagedList<T extends { id: number }>(
  label: string,
  load: (q: string, before?: number) => Promise<T[]>,
  item: (row: T, status: HTMLElement) => HTMLElement,
) {
  const search = field(label, h("input", { type: "search", autocomplete: "off" }));
  const status = h("p", { class: "muted", role: "status" });
  const list = h("ul", { class: "admin-list" });
  const more = h("button", { type: "button", hidden: true }, "More");
  let last: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fetchPage = async (fresh: boolean) => {
    try {
      const rows = await load(search.input.value.trim(), fresh ? undefined : last);
      if (fresh) replace(list);
      list.append(...rows.map((row) => item(row, status)));
      last = rows.at(-1)?.id ?? last;
      more.hidden = rows.length < PAGE;
      if (!list.childElementCount) list.append(h("li", { class: "muted" }, "None found."));
    } catch (error) {
      status.textContent = messageOf(error);
    }
  };
  search.input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void fetchPage(true), 250);
  });
  more.addEventListener("click", () => void fetchPage(false));
  void fetchPage(true);
  return h("div", {}, search.wrapper, status, list, more);
}

function userItem(api: ParleyClient, user: AdminUser, status: HTMLElement): HTMLElement {
  const state = h("span", { class: "muted" });
  const toggle = h("button", { type: "button" });
  const show = (u: AdminUser) => {
    state.textContent = `${u.email}${u.is_staff ? " · staff" : ""}${u.is_active ? "" : " · deactivated"}`;
    toggle.textContent = u.is_active ? "Deactivate" : "Reactivate";
    toggle.setAttribute("aria-label", `${u.is_active ? "Deactivate" : "Reactivate"} ${u.username}`);
    toggle.onclick = async () => {
      try {
        const changed = await api.setActive(u.id, !u.is_active);
        show(changed);
        status.textContent = `${changed.username} was ${changed.is_active ? "reactivated" : "deactivated"}.`;
      } catch (error) {
        status.textContent = messageOf(error);
      }
    };
  };
  show(user);
  return h("li", {}, h("span", { class: "name" }, user.username), state, toggle);
}

const groupItem = (group: AdminGroup) =>
  h("li", {}, h("span", { class: "name" }, group.name), h("span", { class: "muted" }, `${group.member_count} member${group.member_count === 1 ? "" : "s"}`));

export function showAdmin(api: ParleyClient) {
  openDialog(
    "Administration",
    h(
      "section",
      { class: "settings-section" },
      h("h3", {}, "Users"),
      pagedList(
        "Search users",
        (q, before) => api.adminUsers({ q, before, limit: PAGE }),
        (u, s) => userItem(api, u, s),
      ),
    ),
    h(
      "section",
      { class: "settings-section" },
      h("h3", {}, "Groups"),
      pagedList("Search all groups", (q, before) => api.adminGroups({ q, before, limit: PAGE }), groupItem),
    ),
    botsSection(api),
  );
}
