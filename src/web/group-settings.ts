// A group's settings dialog: owners and admins (and staff) rename it, make it private or open, set its retention,
// add members by username, change roles and remove members, each refusal of the API shown in words; anyone leaves.
import type { ParleyClient } from "../client";
import { field, h, replace } from "./dom";
import { showWebhooks } from "./integrations";
import { onSubmit, openDialog } from "./modal";
import type { ChatStore } from "./store";
import type { Conversation, Group } from "./types";
import { messageOf } from "./words";

export interface GroupSettingsDeps {
  readonly api: ParleyClient;
  readonly store: ChatStore;
  readonly isStaff: () => boolean;
  refreshConversations(): Promise<void>;
  /** Null once left, else the refusal in words. */
  leave(conversation: Conversation): Promise<string | null>;
}

const ROLES = ["member", "admin", "owner"] as const;

export async function showGroupSettings(deps: GroupSettingsDeps, conversation: Conversation) {
  const { api, store } = deps;
  const status = h("p", { class: "muted", role: "status" });
  const members = h("ul", { class: "member-list" });
  const body = h("div", { class: "dialog-body" }, h("p", { class: "muted" }, "Loading…"));
  const dialog = openDialog(`${conversation.name} settings`, status, body);
  const names = new Map(conversation.members.map((m) => [m.id, m.username]));
  names.set(store.me.id, store.me.username);
  let group: Group | undefined;
  try {
    group = (await api.groups()).find((g) => g.id === conversation.id);
  } catch (error) {
    status.textContent = messageOf(error);
  }
  if (!group) return replace(body, h("p", {}, "This group could not be loaded."));
  const said = (text: string) => {
    status.classList.remove("form-error");
    status.textContent = text;
  };
  const refused = (error: unknown) => {
    status.classList.add("form-error");
    status.textContent = messageOf(error);
  };
  /** Applies the API's answer: the dialog and the sidebar show the group as it now is. */
  const changed = (updated: Group, text: string) => {
    group = updated;
    renderMembers();
    said(text);
    void deps.refreshConversations();
  };

  const myRole = () => group!.roles.find((r) => r.user_id === store.me.id)?.role ?? "member";
  const manages = deps.isStaff() || myRole() !== "member";

  const renderMembers = () => {
    replace(
      members,
      ...group!.roles.map(({ user_id, role }) => {
        const name = names.get(user_id) ?? `user ${user_id}`;
        if (user_id === store.me.id || !manages)
          return h("li", {}, h("span", { class: "name" }, user_id === store.me.id ? `${name} (you)` : name), h("span", { class: "muted" }, role));
        const select = h("select", { "aria-label": `Role of ${name}` }, ...ROLES.map((r) => h("option", { value: r, selected: r === role }, r)));
        select.addEventListener("change", async () => {
          try {
            changed(await api.changeRole(group!.id, user_id, select.value as (typeof ROLES)[number]), `${name} is now ${select.value}.`);
          } catch (error) {
            select.value = role;
            refused(error);
          }
        });
        const remove = h("button", { type: "button", class: "quiet", "aria-label": `Remove ${name}` }, "Remove");
        remove.addEventListener("click", async () => {
          try {
            changed(await api.removeMember(group!.id, user_id), `${name} was removed.`);
          } catch (error) {
            refused(error);
          }
        });
        return h("li", {}, h("span", { class: "name" }, name), h("label", { class: "muted" }, "Role ", select), remove);
      }),
    );
  };
  renderMembers();

  const parts: (HTMLElement | null)[] = [];
  if (manages) {
    const name = field("Group name", h("input", { name: "name", required: true, maxlength: 100, value: group.name }));
    const isPrivate = h("input", { type: "checkbox", name: "private", checked: group.private });
    const retention = field(
      "Keep messages for (days; empty: the server's setting)",
      h("input", { type: "number", name: "retention_days", min: 1, value: group.retention_days ?? "" }),
    );
    const form = h(
      "form",
      { class: "group-settings" },
      name.wrapper,
      h("label", { class: "check" }, isPrivate, " Private: only owners and admins add members"),
      retention.wrapper,
      h("button", { type: "submit", class: "primary" }, "Save"),
    );
    onSubmit(
      form,
      status,
      async () => {
        const days = retention.input.value.trim();
        const updated = await api.updateGroup(group!.id, { name: name.input.value, private: isPrivate.checked, retention_days: days ? Number(days) : null });
        changed(updated, "Group settings saved.");
        return "Group settings saved.";
      },
      messageOf,
    );
    const username = field("Add a member by username", h("input", { name: "username", autocomplete: "off", required: true }));
    const add = h("form", { class: "add-member" }, username.wrapper, h("button", { type: "submit" }, "Add member"));
    onSubmit(
      add,
      status,
      async () => {
        const wanted = username.input.value.trim().replace(/^@/, "");
        const user = await api.lookupUser(wanted);
        names.set(user.id, user.username);
        changed(await api.addMember(group!.id, user.id), `${user.username} was added.`);
        username.input.value = "";
        return `${user.username} was added.`;
      },
      messageOf,
    );
    parts.push(form, add, h("button", { type: "button", onclick: () => showWebhooks(api, conversation) }, "Webhooks"));
  }
  const leave = h("button", { type: "button", class: "quiet danger" }, "Leave group");
  leave.addEventListener("click", async () => {
    const refusal = await deps.leave(conversation);
    if (refusal) refused(new Error(refusal));
    else dialog.close();
  });
  replace(body, ...parts, h("h3", {}, "Members"), members, leave);
}
