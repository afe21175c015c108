// The web client end to end in a real headless Chromium: two people register, talk, send an image, reload, and
// a message that looks like HTML stays text. Alice uses a desktop-sized window, Bob a phone-sized one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { listen } from "../helpers";
import { ARTIFACTS, eventually, launchChromium, makePng, shown, unnamedControls, watchPage } from "./browser-helpers";

const STEP = 30_000;

describe("web client in Chromium", async () => {
  let browser: Browser;
  let alice: { context: BrowserContext; page: Page; watch: ReturnType<typeof watchPage> };
  let bob: typeof alice;
  // Registered before listen() registers the server's stop: the screenshots show the pages while it still runs.
  afterAll(async () => {
    for (const [name, who] of [
      ["alice", alice],
      ["bob", bob],
    ] as const) {
      await who?.page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }).catch(() => {});
    }
    await browser?.close();
  });
  const { server } = await listen();

  async function open(viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(server.url);
    return { context, page, watch };
  }

  async function register(page: Page, username: string) {
    await shown(page.getByRole("button", { name: "Log in" }));
    expect(await unnamedControls(page)).toEqual([]);
    await page.getByRole("link", { name: "Create an account" }).click();
    await shown(page.getByRole("button", { name: "Register" }));
    expect(await unnamedControls(page)).toEqual([]);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Email").fill(`${username}@example.com`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByLabel("First name").fill(username[0]!.toUpperCase() + username.slice(1));
    await page.getByLabel("Last name").fill("Example");
    await page.getByRole("button", { name: "Register" }).click();
    await shown(page.getByRole("button", { name: "Log out" }));
  }

  const history = (page: Page) => page.getByRole("log", { name: "Conversation history" });
  const conversations = (page: Page) => page.getByRole("navigation", { name: "Conversations" });

  beforeAll(async () => {
    browser = await launchChromium();
    alice = await open({ width: 1200, height: 800 });
    bob = await open({ width: 390, height: 844 });
  }, STEP);

  test(
    "both register and land in the chat",
    async () => {
      await register(alice.page, "alice");
      await register(bob.page, "bob");
      await shown(alice.page.getByText("@alice"));
      // Every control named, every field labelled: in the chat, with each panel open.
      expect(await unnamedControls(alice.page)).toEqual([]);
      await alice.page.getByRole("button", { name: "New group" }).click();
      await shown(alice.page.getByLabel("Group name"));
      expect(await unnamedControls(alice.page)).toEqual([]);
      await alice.page.getByRole("button", { name: "Browse groups" }).click();
      await shown(alice.page.getByLabel("Search groups"));
      expect(await unnamedControls(alice.page)).toEqual([]);
      await alice.page.getByRole("button", { name: "Close" }).click();
      // Marks the page: a reload would lose it, so later checks prove updates arrived live.
      await bob.page.evaluate(() => ((window as any).__sameDocument = true));
    },
    STEP,
  );

  test(
    "alice starts a conversation with bob by username and sends a message; bob sees it live",
    async () => {
      await alice.page.getByLabel("Username").fill("bob");
      await alice.page.getByRole("button", { name: "Start chat" }).click();
      await shown(alice.page.getByRole("heading", { name: "bob" }));
      const composer = alice.page.getByLabel("Message");
      await composer.fill("Hello Bob!");
      await composer.press("Enter");
      await shown(history(alice.page).getByText("Hello Bob!"));
      expect(await unnamedControls(alice.page)).toEqual([]);
      await eventually(async () => expect(await composer.inputValue()).toBe(""));

      // Bob is on his (phone-width) conversation list: the new conversation appears with its preview and unread count.
      const entry = conversations(bob.page).getByRole("link", { name: /alice/ });
      await eventually(async () => expect(await entry.textContent()).toContain("Hello Bob!"));
      await shown(entry.getByLabel("1 unread"));
      await entry.click();
      await shown(history(bob.page).getByText("Hello Bob!"));

      // With the conversation open, the next message appears in the log itself; Shift+Enter made a new line.
      await composer.pressSequentially("line one");
      await composer.press("Shift+Enter");
      await composer.pressSequentially("line two");
      await composer.press("Enter");
      const multiline = history(bob.page).locator(".message .text", { hasText: "line one" });
      await eventually(async () => expect(await multiline.textContent()).toBe("line one\nline two"));
      expect(await bob.page.evaluate(() => (window as any).__sameDocument)).toBe(true);
      // Bob has read it: alice sees the read marker.
      await shown(history(alice.page).getByText("Seen by bob"));
    },
    STEP,
  );

  test(
    "bob's typing shows on alice's side; bob replies with an image and alice sees the preview load",
    async () => {
      const composer = bob.page.getByLabel("Message");
      await composer.pressSequentially("Here is a picture");
      await shown(alice.page.getByText("bob is typing…"));

      await bob.page.locator('input[type="file"]').setInputFiles({ name: "pixel.png", mimeType: "image/png", buffer: makePng(16) });
      await shown(bob.page.getByText("pixel.png"));
      await bob.page.getByRole("button", { name: "Send" }).click();

      const preview = history(alice.page).getByRole("img", { name: "pixel.png" });
      await shown(preview);
      await alice.page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('[role="log"] img[alt="pixel.png"]');
        return !!img && img.complete && img.naturalWidth === 16 && img.getAttribute("src")!.startsWith("/api/files/");
      });
      await shown(history(alice.page).getByText("Here is a picture"));
      // Sent once: the optimistic copy was replaced by the stored message, not added to it.
      await eventually(async () => expect(await history(bob.page).getByText("Here is a picture").count()).toBe(1));
    },
    STEP,
  );

  test(
    "a message that looks like HTML is shown as text and runs nothing",
    async () => {
      const attack = "<img src=x onerror=alert(1)> & <b>bold</b>";
      const composer = alice.page.getByLabel("Message");
      await composer.fill(attack);
      await composer.press("Enter");
      for (const page of [alice.page, bob.page]) {
        const text = history(page).locator(".message .text", { hasText: "onerror" });
        await eventually(async () => expect(await text.textContent()).toBe(attack));
        expect(await text.locator("img, b").count()).toBe(0);
        expect(await page.locator('img[src="x"]').count()).toBe(0);
      }
      // The conversation list's preview is text too.
      await bob.page.getByRole("link", { name: "Back to all conversations" }).click();
      await eventually(async () => expect(await conversations(bob.page).getByRole("link", { name: /alice/ }).textContent()).toContain("onerror=alert(1)"));
      expect(await bob.page.locator('img[src="x"]').count()).toBe(0);
      expect(alice.watch.dialogs).toEqual([]);
      expect(bob.watch.dialogs).toEqual([]);
    },
    STEP,
  );

  test(
    "a reload keeps the session and the conversation",
    async () => {
      await alice.page.reload();
      await shown(alice.page.getByRole("button", { name: "Log out" }));
      await shown(history(alice.page).getByText("Hello Bob!"));
      await shown(history(alice.page).getByRole("img", { name: "pixel.png" }));
      await eventually(async () =>
        expect(await history(alice.page).locator(".message .text", { hasText: "onerror" }).textContent()).toBe("<img src=x onerror=alert(1)> & <b>bold</b>"),
      );
      expect(alice.watch.dialogs).toEqual([]);
    },
    STEP,
  );

  test("no script errors and nothing refused by the Content-Security-Policy", () => {
    expect(alice.watch.problems).toEqual([]);
    expect(bob.watch.problems).toEqual([]);
  });
});
