// A real headless Chromium (Debian's package) driven by playwright-core, and a small PNG made from scratch.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll } from "bun:test";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from "playwright-core";

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = join(import.meta.dir, "artifacts");

/**
 * Launches Chromium, or fails with what to do: the browser tests must never pass by skipping.
 * playwright's launch() runs it with a fresh temporary --user-data-dir of its own and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  checkChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
}

/** Fails with what to do when Chromium is missing; makes the artifacts folder. */
export function checkChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium; .ci/run does this) or set PARLEY_CHROMIUM to a Chromium binary.`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
}

/** How every test runs Chromium: headless, offline from Google's services. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What went wrong in a page that no assertion on the DOM would notice: script errors, CSP refusals, dialogs. */
export function watchPage(page: Page) {
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content.Security.Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { problems, dialogs };
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** A valid RGB PNG of `size`×`size` pixels in one colour. */
export function makePng(size = 8, rgb: [number, number, number] = [36, 87, 197]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => rgb).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixels),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Retries `check` (an assertion on the page) until it passes or `timeoutMs` runs out, then throws its last failure. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50)); // the DOM changes on its own schedule: poll it
    }
  }
}

/** Waits until the locator shows (playwright-core has no expect of its own). */
export const shown = (locator: Locator, timeout = 10_000) => locator.waitFor({ state: "visible", timeout });

/**
 * Fields without a visible <label>, buttons and links without a name, and images without alt text, on the page
 * as it is now: what a screen reader user could not identify.
 */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const visible = (element: Element) => !!(element as HTMLElement).offsetParent || getComputedStyle(element).position === "fixed";
    for (const field of Array.from(document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea, select"))) {
      if (field.type === "file" || field.type === "hidden" || !visible(field)) continue;
      const labels = Array.from(field.labels ?? []).filter((label) => visible(label) && label.textContent!.trim());
      if (!labels.length) problems.push(`field without a visible label: ${field.outerHTML}`);
    }
    for (const control of Array.from(document.querySelectorAll<HTMLElement>("button, a[href], [role=button]"))) {
      if (!visible(control)) continue;
      if (!(control.getAttribute("aria-label") || control.textContent!.trim())) problems.push(`control without a name: ${control.outerHTML}`);
    }
    for (const img of Array.from(document.querySelectorAll("img"))) if (!img.hasAttribute("alt")) problems.push(`image without alt: ${img.outerHTML}`);
    if (document.querySelector(".conversation") && !document.querySelector('[role="log"]')) problems.push("no log region");
    return problems;
  });
}

export type PersonPage = { context: BrowserContext; page: Page; watch: ReturnType<typeof watchPage> };

/**
 * One Chromium for a test file (closed when the file ends) and a watched page per person, each in its own context.
 * Make it before the describe's first await: a hook registered later may attach to another file's scope.
 */
export class People {
  private browser: Browser | undefined;
  readonly pages: Record<string, PersonPage> = {};
  /** The app's address (the server starts after the hook is registered). */
  url = "";

  constructor() {
    afterAll(async () => {
      await this.browser?.close();
    });
  }

  /** A new context and page for `name` at the app; `prepare` runs on the context before the page opens. */
  async open(name: string, options: BrowserContextOptions = {}, prepare?: (context: BrowserContext) => Promise<void>): Promise<Page> {
    this.browser ??= await launchChromium();
    const context = await this.browser.newContext({ viewport: { width: 1100, height: 800 }, ...options });
    context.setDefaultTimeout(10_000); // a stuck action names itself instead of running into the test's timeout
    await prepare?.(context);
    const page = await context.newPage();
    this.pages[name] = { context, page, watch: watchPage(page) };
    await page.goto(this.url);
    return page;
  }

  /** Logs in on the page's login form and waits for the chat. */
  async logIn(page: Page, user: { email: string; password: string }) {
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await shown(page.getByRole("button", { name: "Log out" }));
  }
}
