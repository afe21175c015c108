// A real modal <dialog>: titled, closed by its Close button or Escape, removed once closed (focus returns to the opener).
import { type Child, h, uid } from "./dom";

export function openDialog(title: string, ...content: Child[]): HTMLDialogElement {
  return showModal("dialog", title, content);
}

/** The one modal <dialog> of the page (forms here, listing panels in panel.ts); `className` sets its look. */
export function showModal(className: string, title: string, content: Child[]): HTMLDialogElement {
  const opener = document.activeElement as HTMLElement | null;
  const heading = h("h2", { id: uid("dialog") }, title);
  const dialog = h(
    "dialog",
    { class: className, "aria-labelledby": heading.id },
    h("header", {}, heading, h("button", { type: "button", class: "quiet", onclick: () => dialog.close() }, "Close")),
    ...content,
  );
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Runs a form's action on submit, with its button disabled meanwhile and the outcome announced in `status`. */
export function onSubmit(form: HTMLFormElement, status: HTMLElement, action: () => Promise<string | undefined>, failed: (error: unknown) => string) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
    if (button) button.disabled = true;
    status.textContent = "";
    status.classList.remove("form-error");
    try {
      status.textContent = (await action()) ?? "";
    } catch (error) {
      status.classList.add("form-error");
      status.textContent = failed(error);
    } finally {
      if (button) button.disabled = false;
    }
  });
}
