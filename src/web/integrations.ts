// Integrations: API tokens (Settings, and each bot's in the staff view), bots (staff view), and a group's incoming and
// outgoing webhooks with their deliveries (group settings). Every secret the API hands out is shown once, read-only,
// with a Copy button; every refusal of the API in words.
import type { ParleyClient } from "../client";
import type { NewToken } from "../client/rest";
import type { Delivery, IncomingWebhook, OutgoingWebhook } from "../modules/webhooks/model";
import { type Child, field, formatTime, h, replace } from "./dom";
import { onSubmit, openDialog } from "./modal";
import type { Conversation } from "./types";
import { messageOf } from "./words";

type Token = { id: number; name: string; scopes: string[]; created_at: string; expires_at: string | null; last_used_at: string | null };

export const section = (title: string, ...content: Child[]) => h("section", { class: "settings-section" }, h("h3", {}, title), ...content);
const statusLine = () => h("p", { class: "muted", role: "status" });
const fail = (status: HTMLElement, error: unknown) => {
  status.classList.add("form-error");
  status.textContent = messageOf(error);
};

/** A secret in a read-only field with Copy, said to be shown this once. */
function shownOnce(slot: HTMLElement, label: string, value: string) {
  const once = field(label, h("input", { readonly: true, value, spellcheck: false }));
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", async () => {
    once.input.select();
    copy.textContent = await navigator.clipboard.writeText(value).then(
      () => "Copied",
      () => "Press Ctrl+C to copy",
    );
  });
  replace(slot, h("div", { class: "shown-once" }, once.wrapper, copy, h("p", { class: "muted" }, "Shown this once: copy it now, it cannot be seen again.")));
  once.input.focus();
  once.input.select();
}

/** A small modal that confirms an action (its fields, if any, read by `act`); a refusal stays in it, in words. */
function ask(title: string, button: string, act: () => Promise<unknown>, ...fields: Child[]) {
  const status = statusLine();
  const form = h("form", {}, ...fields, status, h("button", { type: "submit", class: "danger" }, button));
  const dialog = openDialog(title, h("div", { class: "dialog-body" }, form));
  onSubmit(
    form,
    status,
    async () => {
      await act();
      dialog.close();
      return undefined;
    },
    messageOf,
  );
}

/** A list that loads itself (again after each change); `item` gets the reload for its buttons. */
function liveList<T>(status: HTMLElement, load: () => Promise<T[]>, item: (row: T, reload: () => Promise<void>) => Child[]) {
  const list = h("ul", { class: "admin-list" });
  const reload = async () => {
    try {
      const rows = await load();
      replace(list, ...(rows.length ? rows.map((row) => h("li", {}, ...item(row, reload))) : [h("li", { class: "muted" }, "None yet.")]));
    } catch (error) {
      fail(status, error);
    }
  };
  void reload();
  return { list, reload };
}

const button = (label: string, name: string, onclick: () => void) =>
  h("button", { type: "button", class: "quiet", "aria-label": `${label} ${name}`, onclick }, label);

/** Checkboxes in a named group; `values()` gives the checked ones. */
function checks(legend: string, options: readonly string[], checked: readonly string[]) {
  const boxes = options.map((o) => h("input", { type: "checkbox", value: o, checked: checked.includes(o) }));
  const element = h("fieldset", { class: "checks" }, h("legend", {}, legend), ...boxes.map((b) => h("label", { class: "check" }, b, ` ${b.value}`)));
  return { element, values: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

/** A form whose success is said in its status line; refusals there in words. */
function createForm(submit: string, act: () => Promise<string>, ...fields: Child[]) {
  const status = statusLine();
  const form = h("form", {}, ...fields, status, h("button", { type: "submit" }, submit));
  onSubmit(form, status, act, messageOf);
  return { form, status };
}

/** API tokens: made with a name, scopes and an optional expiry (shown once), listed, revoked. */
export function tokenManager(
  load: () => Promise<Token[]>,
  create: (token: NewToken) => Promise<Token & { token: string }>,
  revoke: (id: number) => Promise<unknown>,
) {
  const status = statusLine();
  const secret = h("div", {});
  const { list, reload } = liveList(status, load, (t, again) => [
    h("span", { class: "name" }, t.name),
    h(
      "span",
      { class: "muted" },
      `${t.scopes.join(", ")} · made ${formatTime(t.created_at)} · ${t.last_used_at ? `used ${formatTime(t.last_used_at)}` : "never used"}${t.expires_at ? ` · expires ${formatTime(t.expires_at)}` : ""}`,
    ),
    button("Revoke", t.name, () => ask(`Revoke ${t.name}?`, "Revoke", () => revoke(t.id).then(again))),
  ]);
  const name = field("Token name", h("input", { required: true, maxlength: 100, autocomplete: "off" }));
  const scopes = checks("Scopes", ["read", "write", "admin"], ["read"]);
  const expiry = field("Expires on (optional)", h("input", { type: "date" }));
  const { form } = createForm(
    "Create token",
    async () => {
      const day = expiry.input.value;
      const made = await create({
        name: name.input.value,
        scopes: scopes.values() as NewToken["scopes"],
        expires_at: day ? new Date(`${day}T23:59:59`).toISOString() : null,
      });
      shownOnce(secret, `Token ${made.name}`, made.token);
      name.input.value = "";
      await reload();
      return `${made.name} was created.`;
    },
    name.wrapper,
    scopes.element,
    expiry.wrapper,
  );
  return h("div", {}, status, list, form, secret);
}

/** The staff view's bots: listed, made (username, display name), each with its API tokens in a dialog. */
export function botsSection(api: ParleyClient) {
  const status = statusLine();
  const { list, reload } = liveList(
    status,
    () => api.bots(),
    (bot) => [
      h("span", { class: "name" }, bot.username),
      button("Tokens", `of ${bot.username}`, () =>
        openDialog(
          `Tokens of ${bot.username}`,
          tokenManager(
            () => api.botTokens(bot.id),
            (t) => api.createBotToken(bot.id, t),
            (id) => api.revokeBotToken(bot.id, id),
          ),
        ),
      ),
    ],
  );
  const username = field("Bot username", h("input", { required: true, autocomplete: "off" }));
  const display = field("Display name", h("input", { required: true, autocomplete: "off" }));
  const { form } = createForm(
    "Create bot",
    async () => {
      const bot = await api.createBot(username.input.value.trim(), display.input.value.trim());
      username.input.value = display.input.value = "";
      await reload();
      return `${bot.username} was created.`;
    },
    username.wrapper,
    display.wrapper,
  );
  return section("Bots", status, list, form);
}

const EVENTS = ["message.created", "message.mentioned", "message.updated", "message.deleted", "member"] as const;

/** A group's webhooks, for its owners and admins (the API refuses the rest). */
export function showWebhooks(api: ParleyClient, conversation: Conversation) {
  const id = conversation.id;
  const status = statusLine();
  const secret = h("div", {});
  const nameField = (value = "") => field("Webhook name", h("input", { required: true, maxlength: 100, autocomplete: "off", value }));

  const incoming = liveList(
    status,
    () => api.webhooks(id),
    (w: typeof IncomingWebhook.static, again) => [
      h("span", { class: "name" }, w.name),
      h("span", { class: "muted" }, `posts as ${w.bot.username} · made ${formatTime(w.created_at)}`),
      button("Rename", w.name, () => {
        const name = nameField(w.name);
        ask(`Rename ${w.name}`, "Rename", () => api.renameWebhook(id, w.id, name.input.value).then(again), name.wrapper);
      }),
      button("Rotate", w.name, () =>
        ask(
          `Rotate the URL of ${w.name}?`,
          "Rotate",
          async () => shownOnce(secret, `New URL of ${w.name}`, (await api.rotateWebhook(id, w.id)).url),
          h("p", {}, "The old URL stops working at once."),
        ),
      ),
      button("Delete", w.name, () => ask(`Delete ${w.name}?`, "Delete", () => api.deleteWebhook(id, w.id).then(again))),
    ],
  );
  const name = nameField();
  const inForm = createForm(
    "Create incoming webhook",
    async () => {
      const made = await api.createWebhook(id, name.input.value);
      shownOnce(secret, `URL of ${made.name}`, made.url);
      name.input.value = "";
      await incoming.reload();
      return `${made.name} was created.`;
    },
    name.wrapper,
  );

  const outgoing = liveList(
    status,
    () => api.outgoingWebhooks(id),
    (w: typeof OutgoingWebhook.static, again) => [
      h("span", { class: "name" }, w.url),
      h("span", { class: "muted" }, `${w.events.join(", ")} · ${w.disabled_at ? `disabled: ${w.disabled_reason ?? ""}` : "active"}`),
      button("Deliveries", `to ${w.url}`, () => showDeliveries(api, w)),
      button("Delete", w.url, () => ask(`Delete the webhook to ${w.url}?`, "Delete", () => api.deleteOutgoingWebhook(id, w.id).then(again))),
    ],
  );
  const url = field("Receiver URL", h("input", { type: "url", required: true, autocomplete: "off", placeholder: "https://" }));
  const events = checks("Events", EVENTS, ["message.created"]);
  const bots = conversation.members.filter((m) => m.is_bot);
  const bot = field(
    "Bot for mentions and replies",
    h("select", {}, h("option", { value: "" }, "None"), ...bots.map((b) => h("option", { value: b.id }, b.username))),
  );
  const outForm = createForm(
    "Create outgoing webhook",
    async () => {
      const made = await api.createOutgoingWebhook(id, {
        url: url.input.value,
        events: events.values() as (typeof EVENTS)[number][],
        bot_id: bot.input.value ? Number(bot.input.value) : null,
      });
      shownOnce(secret, `Signing secret for ${made.url}`, made.secret);
      url.input.value = "";
      await outgoing.reload();
      return "The outgoing webhook was created.";
    },
    url.wrapper,
    events.element,
    bot.wrapper,
  );
  openDialog(
    `${conversation.name} webhooks`,
    status,
    secret,
    section("Incoming webhooks", h("p", { class: "muted" }, "Scripts post Slack-style JSON to a webhook's URL."), incoming.list, inForm.form),
    section("Outgoing webhooks", h("p", { class: "muted" }, "Events are POSTed to the URL, signed with its secret."), outgoing.list, outForm.form),
  );
}

/** An outgoing webhook's deliveries, newest first, with Retry on a failed one. */
function showDeliveries(api: ParleyClient, w: typeof OutgoingWebhook.static) {
  const status = statusLine();
  const { list, reload } = liveList(
    status,
    () => api.webhookDeliveries(w.conversation_id, w.id),
    (d: typeof Delivery.static, again) => [
      h("span", { class: "name" }, `${d.event_type}: ${d.status}`),
      h(
        "span",
        { class: "muted" },
        `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}${d.last_status ? ` · HTTP ${d.last_status}` : ""}${d.response_ms === null ? "" : ` · ${d.response_ms} ms`}${d.last_error ? ` · ${d.last_error}` : ""}`,
      ),
      d.status === "failed"
        ? button("Retry", `delivery ${d.id}`, () => api.retryDelivery(w.conversation_id, w.id, d.id).then(again, (error) => fail(status, error)))
        : null,
    ],
  );
  openDialog(`Deliveries to ${w.url}`, status, list, h("button", { type: "button", onclick: () => void reload() }, "Refresh"));
}
