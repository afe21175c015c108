// The sidebar's forms: a direct conversation by username, a new group, and the group directory (search, join).
import { type ParleyClient, ParleyError } from "../client";
import { field, h, replace } from "./dom";
import { messageOf } from "./words";
import type { Conversation, DirectoryGroup, User } from "./types";

const DIRECTORY_PAGE = 50;

export interface DialogDeps {
  readonly api: ParleyClient;
  /** A direct conversation was opened or found. */
  added(conversation: Conversation): void;
  refreshConversations(): Promise<void>;
  navigate(conversationId: number): void;
}

export class Dialogs {
  /** Where the group forms open. */
  readonly panel = h("div", { class: "panel" });

  constructor(private readonly deps: DialogDeps) {}

  directForm(): HTMLElement {
    const username = field("Username", h("input", { name: "username", autocomplete: "off", required: true, placeholder: "who to talk to" }));
    const submit = h("button", { type: "submit" }, "Start chat");
    const form = h("form", { class: "direct-form" }, h("h2", {}, "New conversation"), username.wrapper, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      username.error.textContent = "";
      const name = username.input.value.trim();
      if (!name) {
        username.error.textContent = "Enter a username.";
        return;
      }
      submit.disabled = true;
      try {
        const user = await this.lookup(name);
        const conversation = await this.deps.api.direct(user.id);
        this.deps.added(conversation);
        username.input.value = "";
        this.deps.navigate(conversation.id);
      } catch (error) {
        username.error.textContent = error instanceof ParleyError && error.status === 404 ? `No user called “${name}”.` : messageOf(error);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  /** A user by username; a 404 says which name was not found. */
  private lookup(username: string): Promise<User> {
    return this.deps.api.lookupUser(username).catch((error) => {
      throw error instanceof ParleyError && error.status === 404 ? new ParleyError(404, error.code, `No user called “${username}”.`) : error;
    });
  }

  private close() {
    replace(this.panel);
  }

  showNewGroup() {
    const name = field("Group name", h("input", { name: "name", required: true, maxlength: 100 }));
    const members = field("Members to add (comma-separated)", h("input", { name: "members", autocomplete: "off" }));
    const status = h("p", { class: "form-error", role: "alert" });
    const submit = h("button", { type: "submit", class: "primary" }, "Create group");
    const form = h(
      "form",
      { class: "group-form" },
      h("h2", {}, "New group"),
      name.wrapper,
      members.wrapper,
      status,
      h("div", { class: "row" }, submit, h("button", { type: "button", class: "quiet", onclick: () => this.close() }, "Cancel")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      submit.disabled = true;
      try {
        const names = members.input.value
          .split(/[\s,]+/)
          .map((n) => n.replace(/^@/, ""))
          .filter(Boolean);
        const ids: number[] = [];
        for (const username of names) ids.push((await this.lookup(username)).id);
        const group = await this.deps.api.createGroup(name.input.value, ids);
        await this.joined(group.id);
      } catch (error) {
        status.textContent = messageOf(error);
      } finally {
        submit.disabled = false;
      }
    });
    replace(this.panel, form);
    name.input.focus();
  }

  async showDirectory() {
    const search = field("Search groups", h("input", { type: "search", name: "q", autocomplete: "off" }));
    const results = h("ul", { class: "directory" });
    const status = h("p", { class: "form-error", role: "alert" });
    const more = h("button", { type: "button", hidden: true }, "More groups");
    const section = h(
      "section",
      { class: "directory-panel", "aria-label": "Groups" },
      h("h2", {}, "Groups"),
      search.wrapper,
      status,
      results,
      more,
      h("button", { type: "button", class: "quiet", onclick: () => this.close() }, "Close"),
    );
    replace(this.panel, section);
    search.input.focus();
    let searchTimer: ReturnType<typeof setTimeout> | undefined;
    let last: number | undefined;
    /** The first page (fresh) or the next one, newest first. */
    const load = async (fresh = true) => {
      status.textContent = "";
      try {
        const groups = await this.deps.api.groupDirectory({ limit: DIRECTORY_PAGE, q: search.input.value.trim(), before: fresh ? undefined : last });
        if (fresh) replace(results);
        results.append(...groups.map((group) => this.directoryItem(group, status)));
        last = groups.at(-1)?.id ?? last;
        more.hidden = groups.length < DIRECTORY_PAGE;
        if (!results.childElementCount) results.append(h("li", { class: "muted" }, "No groups found."));
      } catch (error) {
        status.textContent = messageOf(error);
      }
    };
    more.addEventListener("click", () => void load(false));
    search.input.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => void load(), 250);
    });
    await load();
  }

  private directoryItem(group: DirectoryGroup, status: HTMLElement): HTMLElement {
    const nameId = `group-name-${group.id}`;
    const label = h("span", { id: nameId, class: "group-name" }, group.name);
    const count = h("span", { class: "muted" }, `${group.member_count} member${group.member_count === 1 ? "" : "s"}`);
    if (group.is_member) return h("li", {}, h("a", { href: `#/c/${group.id}`, id: nameId }, group.name), count);
    const join = h("button", { type: "button", "aria-describedby": nameId }, "Join");
    join.addEventListener("click", async () => {
      join.disabled = true;
      try {
        await this.deps.api.joinGroup(group.id);
        await this.joined(group.id);
      } catch (error) {
        status.textContent = messageOf(error);
        join.disabled = false;
      }
    });
    return h("li", {}, label, count, join);
  }

  /** In a group now (made or joined): close the form and open it once the list has it. */
  private async joined(groupId: number) {
    this.close();
    await this.deps.refreshConversations();
    this.deps.navigate(groupId);
  }
}
