// Log in and register. One form at a time; every field labelled, every failure the API reports shown in words.
import { type ParleyClient, ParleyError } from "../client";
import { field, h, replace } from "./dom";
import { messageOf } from "./words";

/** Puts each field error of an API refusal next to its field (and clears the others); true if any was placed. */
export function placeFieldErrors(fields: Record<string, { input: HTMLElement; error: HTMLElement }>, error: unknown): boolean {
  let placed = false;
  for (const [name, f] of Object.entries(fields)) {
    const messages = error instanceof ParleyError ? error.fields[name] : undefined;
    f.error.textContent = messages?.join(" ") ?? "";
    if (messages) f.input.setAttribute("aria-invalid", "true");
    else f.input.removeAttribute("aria-invalid");
    placed ||= !!messages;
  }
  return placed;
}

export function renderAuth(root: HTMLElement, api: ParleyClient, notice: string | null, onLoggedIn: () => void) {
  const registering = location.hash === "#/register";
  const status = h("p", { class: "form-error", role: "alert" });
  const form = h("form", { class: "auth-form", novalidate: true });
  const fields: Record<string, ReturnType<typeof field>> = {};
  const input = (name: string, label: string, type: string, autocomplete: string, required = true) => {
    fields[name] = field(label, h("input", { name, type, autocomplete, required }));
    return fields[name]!.wrapper;
  };

  const submit = h("button", { type: "submit", class: "primary" }, registering ? "Register" : "Log in");
  if (registering) {
    form.append(
      h("h2", {}, "Create an account"),
      input("username", "Username", "text", "username"),
      input("email", "Email", "email", "email"),
      input("password", "Password", "password", "new-password"),
      input("first_name", "First name", "text", "given-name", false),
      input("last_name", "Last name", "text", "family-name", false),
      status,
      submit,
      h("p", { class: "switch" }, "Already registered? ", h("a", { href: "#/login" }, "I already have an account")),
    );
  } else {
    form.append(
      h("h2", {}, "Welcome back"),
      input("email", "Email", "email", "username"),
      input("password", "Password", "password", "current-password"),
      status,
      submit,
      h("p", { class: "switch" }, "New here? ", h("a", { href: "#/register" }, "Create an account")),
    );
  }
  if (notice) status.textContent = notice;

  const showErrors = (error: unknown) => {
    const placed = placeFieldErrors(fields, error);
    if (!(error instanceof ParleyError)) {
      status.textContent = "Something went wrong. Try again.";
      return;
    }
    status.textContent = placed ? "Please correct the fields marked below." : messageOf(error);
    const firstInvalid = form.querySelector<HTMLInputElement>("[aria-invalid=true]");
    firstInvalid?.focus();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f.input.value]));
    submit.disabled = true;
    status.textContent = registering ? "Creating your account…" : "Logging in…";
    try {
      if (registering) await api.register(values as { username: string; email: string; password: string });
      await api.login(values.email!, values.password!);
      if (location.hash === "#/register" || location.hash === "#/login") history.replaceState(null, "", "#/");
      onLoggedIn();
    } catch (error) {
      showErrors(error);
    } finally {
      submit.disabled = false;
    }
  });

  replace(root, h("main", { class: "auth" }, h("h1", { class: "brand" }, "Parley"), form));
  fields[registering ? "username" : "email"]!.input.focus();
}
