// The web client's message features in Chromium, with people in separate browser contexts: an edit, a reaction,
// a reply in a thread, a pin, a mention and a deletion made by one are seen live by the other; staff delete
// another's message; a jump from a pin loads the message's surroundings in a long conversation; files dropped or
// pasted show a preview first; Markdown and links render safely; the "More actions" menu works by keyboard alone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { makeStaff } from "../chat-helpers";
import { listen, registerUser, type TestUser } from "../helpers";
import { ARTIFACTS, eventually, launchChromium, makePng, shown, unnamedControls, watchPage } from "./browser-helpers";

const STEP = 30_000;

describe("web client in Chromium: messages", async () => {
  let browser: Browser;
  const people: Record<string, { page: Page; watch: ReturnType<typeof watchPage> }> = {};
  afterAll(async () => {
    await browser?.close();
  });
  const { server, api } = await listen();
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let long: { id: number };
  const longIds: number[] = [];

  const page = (name: string) => people[name]!.page;
  const log = (p: Page) => p.getByRole("log", { name: "Conversation history" });
  /** The message whose own text holds `text` (a reply's "↪ …" line quotes its parent's). */
  const message = (p: Page, text: string) =>
    log(p)
      .locator(".message")
      .filter({ has: p.locator(".text", { hasText: text }) });
  const composer = (p: Page) => p.getByRole("textbox", { name: "Message", exact: true });
  const snap = (p: Page, name: string) => p.screenshot({ path: join(ARTIFACTS, `messages-${name}.png`) });
  const send = async (p: Page, text: string) => {
    await composer(p).fill(text);
    await composer(p).press("Enter");
    await shown(message(p, text.split("\n")[0]!.replace(/[*_`]/g, "").slice(0, 12)));
  };
  /** Opens a message's "More actions" menu by keyboard and picks an item with the arrow keys. */
  async function menuByKeyboard(p: Page, target: Locator, item: string) {
    await target.getByRole("button", { name: "More actions" }).focus();
    await p.keyboard.press("Enter");
    const menu = p.getByRole("menu", { name: "Message actions" });
    await shown(menu);
    const labels = await menu.getByRole("menuitem").allInnerTexts();
    expect(labels).toContain(item);
    for (let i = 0; i < labels.indexOf(item); i++) await p.keyboard.press("ArrowDown");
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe(item);
    await p.keyboard.press("Enter");
  }

  async function open(name: string, user: TestUser, conversation: string) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const p = await context.newPage();
    people[name] = { page: p, watch: watchPage(p) };
    await p.goto(server.url);
    await p.getByLabel("Email").fill(user.email);
    await p.getByLabel("Password").fill(user.password);
    await p.getByRole("button", { name: "Log in" }).click();
    await p
      .getByRole("navigation", { name: "Conversations" })
      .getByRole("link", { name: new RegExp(conversation) })
      .click();
    await shown(p.getByRole("heading", { name: conversation }));
    await p.evaluate(() => ((window as any).__sameDocument = true));
  }

  beforeAll(async () => {
    [alice, bob, carol] = [await registerUser(api, "alice"), await registerUser(api, "bob"), await registerUser(api, "carol")];
    await makeStaff(server.parley, carol.id);
    const team = await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "Team", members: [bob.id, carol.id] } });
    expect(team.status).toBe(201);
    long = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "Long", members: [bob.id] } })).body;
    for (let i = 1; i <= 150; i++) {
      const sent = await api("POST", `/api/messages/${long.id}/send/`, { token: i % 2 ? alice.access : bob.access, body: { message: `long ${i}` } });
      if (sent.status !== 201) throw new Error(`seed ${i}: ${sent.status}`);
      longIds.push(sent.body.id);
    }
    expect((await api("POST", `/api/messages/${long.id}/${longIds[9]}/pin/`, { token: alice.access })).status).toBe(200);
    browser = await launchChromium();
    await open("alice", alice, "Team");
    await open("bob", bob, "Team");
  }, 60_000);

  test(
    "Markdown and links render as DOM; HTML and javascript: stay text",
    async () => {
      await send(page("alice"), "Hello **team**, ~~old~~ _new_ `code` https://example.com/docs javascript:alert(1) <img src=x onerror=alert(1)>");
      await composer(page("alice")).fill("```\nconst wide = 1;\n```\n> quoted\n- one\n- two");
      await composer(page("alice")).press("Enter");
      for (const p of [page("alice"), page("bob")]) {
        const m = message(p, "Hello");
        await shown(m.locator("strong", { hasText: "team" }));
        expect(await m.locator("del").textContent()).toBe("old");
        expect(await m.locator("em").textContent()).toBe("new");
        expect(await m.locator("code").textContent()).toBe("code");
        const links = m.getByRole("link");
        expect(await links.count()).toBe(1);
        expect(await links.getAttribute("href")).toBe("https://example.com/docs");
        expect(await links.getAttribute("target")).toBe("_blank");
        expect(await links.getAttribute("rel")).toBe("noopener noreferrer");
        expect(await m.locator(".text").textContent()).toContain("javascript:alert(1) <img src=x onerror=alert(1)>");
        expect(await m.locator("img").count()).toBe(0);
        const block = log(p).locator(".message pre");
        await shown(block);
        expect(await block.textContent()).toBe("const wide = 1;");
        expect(await block.evaluate((e) => getComputedStyle(e).overflowX)).toBe("auto");
        expect(await log(p).locator(".message blockquote").textContent()).toBe("quoted");
        expect(await log(p).locator(".message ul li").allInnerTexts()).toEqual(["one", "two"]);
      }
      expect(people.bob!.watch.dialogs).toEqual([]);
      await snap(page("bob"), "markdown");
    },
    STEP,
  );

  test(
    "keyboard only: the More actions menu opens, moves with the arrows, closes with Escape; an edit is seen live",
    async () => {
      const p = page("alice");
      await send(p, "first draft");
      const mine = message(p, "first draft");
      const more = mine.getByRole("button", { name: "More actions" });
      await more.focus();
      await p.keyboard.press("Enter");
      const menu = p.getByRole("menu", { name: "Message actions" });
      await shown(menu);
      expect(await more.getAttribute("aria-expanded")).toBe("true");
      expect(await menu.getByRole("menuitem").allInnerTexts()).toEqual(["Reply in thread", "Add reaction…", "Edit", "Delete", "Pin"]);
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe("Reply in thread");
      await p.keyboard.press("ArrowUp");
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe("Pin");
      expect(await unnamedControls(p)).toEqual([]);
      await snap(p, "menu");
      await p.keyboard.press("Escape");
      await eventually(async () => expect(await menu.count()).toBe(0));
      expect(await more.evaluate((e) => e === document.activeElement)).toBe(true);
      expect(await more.getAttribute("aria-expanded")).toBe("false");

      await menuByKeyboard(p, mine, "Edit");
      const edit = p.getByRole("dialog", { name: "Edit message" });
      await shown(edit);
      const box = edit.getByLabel("Edit message");
      expect(await box.evaluate((e) => e === document.activeElement)).toBe(true);
      await box.fill("second **thoughts**");
      await snap(p, "edit");
      await box.press("Enter");
      await eventually(async () => expect(await edit.count()).toBe(0));
      const seen = message(page("bob"), "second thoughts");
      await shown(seen.getByText("(edited)"));
      expect(await seen.locator("strong").textContent()).toBe("thoughts");
      expect(await message(page("bob"), "first draft").count()).toBe(0);
    },
    STEP,
  );

  test(
    "a reaction from the emoji picker shows its count and who reacted (hover and focus); clicking the count toggles mine",
    async () => {
      const b = page("bob");
      const target = message(b, "second thoughts");
      await menuByKeyboard(b, target, "Add reaction…");
      const picker = b.getByRole("menu", { name: "Reactions" });
      await shown(picker);
      expect(await picker.getByRole("menuitem").count()).toBe(12);
      await b.keyboard.press("ArrowDown"); // 👎
      await b.keyboard.press("ArrowUp"); // 👍
      await b.keyboard.press("Enter");
      const a = page("alice");
      const chip = message(a, "second thoughts").getByRole("button", { name: "👍 1" });
      await shown(chip);
      expect(await chip.getAttribute("aria-pressed")).toBe("false");
      await chip.focus();
      const tip = message(a, "second thoughts").getByRole("tooltip");
      await shown(tip);
      expect(await tip.textContent()).toBe(`👍 ${bob.username}`);
      expect(await chip.getAttribute("aria-describedby")).toBe(await tip.getAttribute("id"));
      await snap(a, "reaction");
      await chip.click();
      const both = message(b, "second thoughts").getByRole("button", { name: "👍 2" });
      await shown(both);
      expect(await both.getAttribute("aria-pressed")).toBe("true");
      await both.hover();
      await eventually(async () => expect(await message(b, "second thoughts").getByRole("tooltip").textContent()).toBe(`👍 you, ${alice.username}`));
      // Alice takes hers back: bob sees the count fall.
      await message(a, "second thoughts").getByRole("button", { name: "👍 2" }).click();
      await shown(message(b, "second thoughts").getByRole("button", { name: "👍 1" }));
    },
    STEP,
  );

  test(
    "a reply in a thread: the parent's reply count and the thread update live on the other side",
    async () => {
      const b = page("bob");
      await menuByKeyboard(b, message(b, "second thoughts"), "Reply in thread");
      const thread = b.getByRole("dialog", { name: `Thread: ${alice.username}` });
      await shown(thread);
      const reply = thread.getByRole("textbox", { name: "Reply" });
      expect(await reply.evaluate((e) => e === document.activeElement)).toBe(true);
      await reply.fill("a threaded answer");
      await reply.press("Enter");
      await shown(thread.getByRole("log", { name: "Replies" }).getByText("a threaded answer"));
      expect(await unnamedControls(b)).toEqual([]);
      await snap(b, "thread");
      await thread.getByRole("button", { name: "Close" }).click();

      const a = page("alice");
      const count = message(a, "second thoughts").getByRole("button", { name: "💬 1 reply" });
      await shown(count);
      // The reply itself says what it answers.
      await shown(message(a, "a threaded answer").getByRole("button", { name: `↪ ${alice.username}: second thoughts` }));
      await count.click();
      const seen = a.getByRole("dialog", { name: `Thread: ${alice.username}` });
      await shown(seen.getByRole("log", { name: "Replies" }).getByText("a threaded answer"));
      // Bob answers again while alice has the thread open: it arrives there live.
      await menuByKeyboard(b, message(b, "second thoughts"), "Reply in thread");
      await b.getByRole("textbox", { name: "Reply" }).fill("and another");
      await b.getByRole("textbox", { name: "Reply" }).press("Enter");
      await shown(seen.getByRole("log", { name: "Replies" }).getByText("and another"));
      await a.keyboard.press("Escape");
      await b.keyboard.press("Escape");
      await shown(message(a, "second thoughts").getByRole("button", { name: "💬 2 replies" }));
    },
    STEP,
  );

  test(
    "a pin is seen live, and the pins panel lists it",
    async () => {
      const a = page("alice");
      await menuByKeyboard(a, message(a, "second thoughts"), "Pin");
      const b = page("bob");
      await shown(message(b, "second thoughts").getByText("📌 Pinned"));
      await b.getByRole("button", { name: "Pinned", exact: true }).click();
      const pins = b.getByRole("dialog", { name: "Pinned messages" });
      await shown(pins.getByText("second thoughts"));
      expect(await unnamedControls(b)).toEqual([]);
      await snap(b, "pins");
      // Unpinned by alice while bob looks: the panel follows.
      await menuByKeyboard(a, message(a, "second thoughts"), "Unpin");
      await shown(pins.getByText("Nothing is pinned here yet."));
      await pins.getByRole("button", { name: "Close" }).click();
    },
    STEP,
  );

  test(
    "@ completion by keyboard; the mention is highlighted for alice and listed in her Mentions view",
    async () => {
      const b = page("bob");
      const box = composer(b);
      await box.fill("");
      await box.pressSequentially(`ping @${alice.username.slice(0, 3)}`);
      const list = b.getByRole("listbox", { name: "Members to mention" });
      await shown(list);
      const option = list.getByRole("option", { name: `@${alice.username}` });
      expect(await option.getAttribute("aria-selected")).toBe("true");
      expect(await box.getAttribute("aria-activedescendant")).toBe(await option.getAttribute("id"));
      await snap(b, "mention-autocomplete");
      await box.press("Tab");
      expect(await box.inputValue()).toBe(`ping @${alice.username} `);
      expect(await list.isHidden()).toBe(true);
      await box.pressSequentially("please look");
      await box.press("Enter");

      const a = page("alice");
      const mention = message(a, "please look");
      await shown(mention.locator(".mention.me", { hasText: `@${alice.username}` }));
      expect(await mention.getAttribute("class")).toContain("mentions-me");
      await a.getByRole("button", { name: "Mentions" }).click();
      const view = a.getByRole("dialog", { name: "Mentions" });
      await shown(view.getByText("please look"));
      expect(await view.textContent()).toContain(`${bob.username} in Team`);
      await snap(a, "mentions");
      await view.getByRole("button", { name: "Go to message" }).click();
      await eventually(async () => expect(await mention.getAttribute("class")).toContain("highlight"));
      expect(await mention.evaluate((e) => e === document.activeElement)).toBe(true);
    },
    STEP,
  );

  test(
    "bob deletes his own message, carol (staff) and alice (the group's owner) delete bob's: seen live as deleted",
    async () => {
      const b = page("bob");
      await menuByKeyboard(b, message(b, "please look"), "Delete");
      const confirm = b.getByRole("dialog", { name: "Delete message?" });
      await shown(confirm);
      await confirm.getByRole("button", { name: "Delete" }).click();
      const a = page("alice");
      await eventually(async () => expect(await message(a, "please look").count()).toBe(0));
      await shown(log(a).getByText("Message deleted").first());

      await send(b, "bob says something off-topic");
      await open("carol", carol, "Team");
      const c = page("carol");
      await menuByKeyboard(c, message(c, "off-topic"), "Delete");
      await c.getByRole("dialog", { name: "Delete message?" }).getByRole("button", { name: "Delete" }).click();
      for (const p of [a, b, c]) await eventually(async () => expect(await message(p, "off-topic").count()).toBe(0));
      expect(await log(a).getByText("Message deleted").count()).toBe(2);
      await snap(a, "deleted");
      // Carol is no group admin: on alice's message she may delete (staff) but not pin or edit.
      await message(c, "second thoughts").getByRole("button", { name: "More actions" }).click();
      expect(await c.getByRole("menu", { name: "Message actions" }).getByRole("menuitem").allInnerTexts()).toEqual([
        "Reply in thread",
        "Add reaction…",
        "Delete",
      ]);
      await c.keyboard.press("Escape");
      // Alice owns the group: she may delete bob's reply (not edit it); its parent counts one reply less, live.
      await message(a, "and another").getByRole("button", { name: "More actions" }).click();
      expect(await a.getByRole("menu", { name: "Message actions" }).getByRole("menuitem").allInnerTexts()).toEqual([
        "Reply in thread",
        "Add reaction…",
        "Delete",
        "Pin",
      ]);
      await a.keyboard.press("Escape");
      await menuByKeyboard(a, message(a, "and another"), "Delete");
      await a.getByRole("dialog", { name: "Delete message?" }).getByRole("button", { name: "Delete" }).click();
      await eventually(async () => expect(await message(b, "and another").count()).toBe(0));
      await shown(message(b, "second thoughts").getByRole("button", { name: "💬 1 reply" }));
    },
    STEP,
  );

  test(
    "a jump from a pin in a long conversation loads the message's surroundings, scrolls to it, highlights and focuses it",
    async () => {
      const b = page("bob");
      await b.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name: /Long/ }).click();
      await shown(message(b, "long 150"));
      expect(await message(b, "long 10").count()).toBe(0); // only the newest page is loaded
      await b.getByRole("button", { name: "Pinned", exact: true }).click();
      await b.getByRole("dialog", { name: "Pinned messages" }).getByRole("button", { name: "Go to message" }).click();
      const target = log(b).locator(`[data-id="${longIds[9]}"]`);
      await shown(target);
      await eventually(async () => expect(await target.getAttribute("class")).toContain("highlight"));
      expect(await target.evaluate((e) => e === document.activeElement)).toBe(true);
      // Its surroundings, older and newer, are there, and the history runs on to the newest without a gap.
      for (const n of [1, 5, 9, 11, 20, 60, 150]) expect(await message(b, `long ${n}`).count(), `long ${n}`).toBeGreaterThan(0);
      const ids = await log(b)
        .locator(".message")
        .evaluateAll((nodes) => nodes.map((n) => Number((n as HTMLElement).dataset.id)));
      expect(ids).toEqual(longIds);
      const inView = await target.evaluate((e) => {
        const box = e.getBoundingClientRect();
        const log = e.closest('[role="log"]')!.getBoundingClientRect();
        return box.top >= log.top && box.bottom <= log.bottom;
      });
      expect(inView).toBe(true);
      await snap(b, "jump");
    },
    STEP,
  );

  test(
    "a file dropped onto the conversation or pasted shows a preview first; cancel or send it",
    async () => {
      const a = page("alice");
      await a.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name: /Team/ }).click();
      const png = [...makePng(12)];
      const dropped = await a.evaluateHandle((bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "dropped.png", { type: "image/png" }));
        return data;
      }, png);
      await a.locator(".conversation").dispatchEvent("drop", { dataTransfer: dropped });
      const preview = a.getByRole("img", { name: "Preview of dropped.png" });
      await shown(preview);
      expect(await preview.getAttribute("src")).toMatch(/^blob:/);
      await snap(a, "drop-preview");
      await a.getByRole("button", { name: "Remove file" }).click();
      expect(await preview.count()).toBe(0);

      await composer(a).focus();
      await a.evaluate((bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "pasted.png", { type: "image/png" }));
        document.activeElement!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
      }, png);
      await shown(a.getByRole("img", { name: "Preview of pasted.png" }));
      await composer(a).fill("a pasted picture");
      await composer(a).press("Enter");
      const b = page("bob");
      await b.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name: /Team/ }).click();
      const image = message(b, "a pasted picture").getByRole("img", { name: "pasted.png" });
      await shown(image);
      await b.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('[role="log"] img[alt="pasted.png"]');
        return !!img && img.complete && img.naturalWidth === 12;
      });
      await snap(b, "pasted-file");
    },
    STEP,
  );

  test("no script errors, nothing refused by the Content-Security-Policy, no page reloads", async () => {
    for (const [name, { page: p, watch }] of Object.entries(people)) {
      expect(watch.problems, name).toEqual([]);
      expect(watch.dialogs, name).toEqual([]);
      expect(await p.evaluate(() => (window as any).__sameDocument), name).toBe(true);
    }
  });
});
