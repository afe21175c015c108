// Settings: your name, email and password (the last two with your current password), desktop notifications, and
// logging out everywhere. Field refusals of the API go next to their field.
import type { ParleyClient } from "../client";
import { placeFieldErrors } from "./auth-view";
import { field, h } from "./dom";
import { section, tokenManager } from "./integrations";
import { onSubmit, openDialog } from "./modal";
import { notificationsSupported } from "./notifications";
import { webPushControl } from "./push";
import { messageOf } from "./words";

type Field = ReturnType<typeof field>;

/** Field refusals next to their fields; the rest in words for the form's status line. */
const fieldErrors = (fields: Record<string, Field>) => (error: unknown) =>
  placeFieldErrors(fields, error) ? "Not saved: see the fields marked above." : messageOf(error);

const input = (label: string, name: string, type: string, autocomplete: string, value = "") =>
  field(label, h("input", { name, type, autocomplete, value, required: type === "password" }));

export async function showAccount(api: ParleyClient) {
  const session = api.session!;
  const status = h("p", { class: "muted", role: "status" });
  const me = await api.me().catch(() => null);
  const form = (fields: Record<string, Field>, button: string, save: () => Promise<string>) => {
    const formStatus = h("p", { class: "muted", role: "status" });
    const element = h("form", {}, ...Object.values(fields).map((f) => f.wrapper), formStatus, h("button", { type: "submit" }, button));
    onSubmit(
      element,
      formStatus,
      async () => {
        const text = await save();
        fieldErrors(fields)(null);
        for (const f of Object.values(fields)) if (f.input.type === "password") f.input.value = "";
        return text;
      },
      fieldErrors(fields),
    );
    return element;
  };

  const names = {
    first_name: input("First name", "first_name", "text", "given-name", me?.first_name),
    last_name: input("Last name", "last_name", "text", "family-name", me?.last_name),
  };
  const nameForm = form(names, "Save name", async () => {
    await api.updateUser(session.user.id, { first_name: names.first_name.input.value, last_name: names.last_name.input.value });
    return "Your name was saved.";
  });

  const email = {
    email: input("Email", "email", "email", "email", me?.email ?? session.user.email),
    current_password: input("Current password", "current_password", "password", "current-password"),
  };
  const emailForm = form(email, "Change email", async () => {
    const updated = await api.updateUser(session.user.id, { email: email.email.input.value, current_password: email.current_password.input.value });
    if (api.session) api.start({ ...api.session, user: { ...api.session.user, email: updated.email ?? email.email.input.value } });
    return "Your email was changed.";
  });

  const password = {
    current_password: input("Current password", "current_password", "password", "current-password"),
    password: input("New password", "password", "password", "new-password"),
  };
  const passwordForm = form(password, "Change password", async () => {
    const fresh = password.password.input.value;
    // A new password ends every session, this one included: the client logs in again with it, here only.
    await api.changePassword(session.user.id, password.current_password.input.value, fresh);
    return "Your password was changed. Your other sessions were logged out.";
  });

  const allow = h("button", { type: "button" }, "Allow desktop notifications");
  const permission = h("p", { class: "muted", role: "status" });
  const showPermission = () => {
    const state = notificationsSupported() ? Notification.permission : "unsupported";
    permission.textContent =
      state === "granted"
        ? "Desktop notifications are on while Parley is open in the background."
        : state === "denied"
          ? "Desktop notifications are blocked in this browser's site settings."
          : state === "unsupported"
            ? "This browser cannot show desktop notifications."
            : "";
    allow.hidden = state !== "default";
  };
  allow.addEventListener("click", async () => {
    await Notification.requestPermission();
    showPermission();
  });
  showPermission();

  const everywhere = h("button", { type: "button", class: "danger" }, "Log out everywhere");
  everywhere.addEventListener("click", async () => {
    try {
      await api.logoutEverywhere();
    } catch (error) {
      status.textContent = messageOf(error);
    }
  });

  openDialog(
    "Settings",
    status,
    section("Your name", nameForm),
    section("Email", emailForm),
    section("Password", passwordForm),
    section("Desktop notifications", permission, allow),
    section(
      "Notifications when Parley is closed",
      h("p", { class: "muted" }, "Direct messages and mentions, through this browser's push service."),
      webPushControl(api),
    ),
    section(
      "API tokens",
      h("p", { class: "muted" }, "For scripts acting as you: send one as Authorization: Bearer."),
      tokenManager(
        () => api.tokens(),
        (t) => api.createToken(t),
        (id) => api.revokeToken(id),
      ),
    ),
    section("Sessions", h("p", { class: "muted" }, "End every login of your account, on every device."), everywhere),
  );
}
