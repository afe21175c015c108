// The message box under a conversation: Enter sends, Shift+Enter makes a new line, a file goes with the next send;
// what is typed is kept as a draft while switching, and typing is announced at most every two seconds.
import { field, formatSize, h, replace } from "./dom";
import { mentionAutocomplete } from "./mentions";

const TYPING_EVERY_MS = 2_000;

export interface ComposerDeps {
  /** Unsent text per conversation, kept while switching. */
  readonly drafts: Map<number, string>;
  send(conversationId: number, text: string, file: File | null): void;
  sendTyping(conversationId: number): void;
  /** The usernames `@` completes (the conversation's members but me). */
  mentionable?(conversationId: number): string[];
}

export class Composer {
  readonly element: HTMLFormElement;
  private readonly text: HTMLTextAreaElement;
  private readonly fileInput = h("input", { type: "file", hidden: true, name: "file" });
  private readonly fileChip = h("div", { class: "file-chip", hidden: true });
  private file: File | null = null;
  private preview: string | null = null;
  private typingSentAt = 0;

  constructor(
    private readonly conversationId: number,
    private readonly deps: ComposerDeps,
    label = "Message",
  ) {
    const message = field(label, h("textarea", { name: "message", rows: 1, placeholder: "Write a message…", maxlength: 10000 }));
    this.text = message.input as HTMLTextAreaElement;
    const mentions = mentionAutocomplete(this.text, () => deps.mentionable?.(conversationId) ?? []);
    message.wrapper.append(mentions);
    const attach = h("button", { type: "button", class: "quiet", onclick: () => this.fileInput.click() }, "Attach");
    const send = h("button", { type: "submit", class: "primary" }, "Send");
    this.element = h("form", { class: "composer" }, this.fileChip, message.wrapper, h("div", { class: "composer-actions" }, attach, this.fileInput, send));
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.defaultPrevented) {
        event.preventDefault();
        this.submit();
      }
    });
    this.text.value = deps.drafts.get(conversationId) ?? "";
    this.text.addEventListener("input", () => {
      this.autosize();
      this.deps.drafts.set(this.conversationId, this.text.value);
      if (this.text.value.trim() && Date.now() - this.typingSentAt > TYPING_EVERY_MS) {
        this.typingSentAt = Date.now();
        this.deps.sendTyping(this.conversationId);
      }
    });
    this.fileInput.addEventListener("change", () => this.setFile(this.fileInput.files?.[0] ?? null));
    // An image copied to the clipboard (a screenshot) is pasted as the file to send.
    this.text.addEventListener("paste", (event) => {
      const file = event.clipboardData?.files[0];
      if (!file) return;
      event.preventDefault();
      this.setFile(file);
    });
  }

  /** A file dropped onto the conversation goes with the next send, shown first. */
  attach(file: File) {
    this.setFile(file);
  }

  focus() {
    this.text.focus();
  }

  private setFile(file: File | null) {
    this.file = file;
    if (this.preview) URL.revokeObjectURL(this.preview);
    this.preview = file?.type.startsWith("image/") ? URL.createObjectURL(file) : null;
    if (!file) {
      this.fileChip.hidden = true;
      replace(this.fileChip);
      this.fileInput.value = "";
      return;
    }
    replace(
      this.fileChip,
      this.preview ? h("img", { src: this.preview, alt: `Preview of ${file.name}`, class: "file-preview" }) : null,
      h("span", {}, `📎 ${file.name} (${formatSize(file.size)})`),
      h("button", { type: "button", class: "quiet", onclick: () => this.setFile(null) }, "Remove file"),
    );
    this.fileChip.hidden = false;
    this.text.focus();
  }

  private submit() {
    const text = this.text.value;
    if (!text.trim() && !this.file) return;
    this.deps.send(this.conversationId, text.trim() ? text : "", this.file);
    this.text.value = "";
    this.deps.drafts.delete(this.conversationId);
    this.autosize();
    this.setFile(null);
    this.text.focus();
  }

  private autosize() {
    this.text.style.height = "auto";
    this.text.style.height = `${Math.min(this.text.scrollHeight, 200)}px`;
  }
}
