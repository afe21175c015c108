// The web client in Chromium, two people: search (snippets with marked matches, paged, opening the message in place),
// unread counts and the title/icon total moving live and clearing on reading, the "New messages" divider, desktop
// notifications while the page is hidden (direct messages, mentions, "every message"), and mute.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type Api, listen, registerUser, type TestUser } from "../helpers";
import { ARTIFACTS, eventually, People, shown, unnamedControls } from "./browser-helpers";

const STEP = 30_000;

/** Records every Notification the page makes (headless Chromium shows none) and lets the test hide the page. */
const NOTIFICATION_RECORDER = () => {
  const w = window as any;
  w.__notes = [];
  w.__hidden = false;
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => (w.__hidden ? "hidden" : "visible") });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => w.__hidden });
  const Real = window.Notification;
  w.Notification = class {
    static get permission() {
      return Real.permission;
    }
    static requestPermission() {
      return Real.requestPermission();
    }
    onclick: (() => void) | null = null;
    constructor(
      readonly title: string,
      readonly options: NotificationOptions = {},
    ) {
      w.__notes.push(this);
    }
    close() {}
  };
};

describe("web client in Chromium: search, unread, notifications, mute", async () => {
  const people = new People();
  const { pages } = people;
  const { server, api } = await listen();
  people.url = server.url;
  let alice: TestUser;
  let bob: TestUser;
  let team: { id: number };
  let archive: { id: number };
  let direct: { id: number };
  let pineappleId = 0;

  const send = async (api: Api, user: TestUser, id: number, message: string) => {
    const sent = await api("POST", `/api/messages/${id}/send/`, { token: user.access, body: { message } });
    if (sent.status !== 201) throw new Error(`send ${message}: ${sent.status}`);
    return sent.body as { id: number };
  };
  const conversations = (page: Page) => page.getByRole("navigation", { name: "Conversations" });
  const open = (page: Page, name: string | RegExp) => conversations(page).getByRole("link", { name }).click();
  const notes = (page: Page) => page.evaluate(() => (window as any).__notes.map((n: any) => ({ title: n.title, body: n.options.body })));
  const hide = (page: Page, hidden: boolean) =>
    page.evaluate((hidden) => {
      (window as any).__hidden = hidden;
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);

  beforeAll(async () => {
    [alice, bob] = [await registerUser(api, "alice"), await registerUser(api, "bob")];
    team = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "Team", members: [bob.id] } })).body;
    archive = (await api("POST", "/api/groups/create/", { token: bob.access, body: { name: "Archive", members: [alice.id] } })).body;
    // Older than the first page: opening it in place must load older pages.
    for (let i = 1; i <= 45; i++) {
      const sent = await send(
        api,
        i % 2 ? bob : alice,
        archive.id,
        i === 3 ? "the pineapple plan, <b>not bold</b>" : i >= 10 && i < 35 ? `banana ${i}` : `filler ${i}`,
      );
      if (i === 3) pineappleId = sent.id;
    }
    direct = (await api("POST", "/api/conversations/direct/", { token: alice.access, body: { user_id: bob.id } })).body;
    await send(api, alice, team.id, "welcome to the team");
    await send(api, alice, direct.id, "hi bob");
    // Alice has read everything so far (her read marker is where she left off).
    for (const id of [team.id, archive.id, direct.id]) {
      const newest = (await api("GET", `/api/messages/${id}/?limit=1`, { token: alice.access })).body[0].id;
      await api("POST", `/api/conversations/${id}/read/`, { token: alice.access, body: { message_id: newest } });
    }
    const alicePage = await people.open("alice", {}, async (context) => {
      await context.grantPermissions(["notifications"], { origin: server.url });
      await context.addInitScript(NOTIFICATION_RECORDER);
    });
    await people.logIn(alicePage, alice);
    await people.logIn(await people.open("bob"), bob);
  }, STEP);

  test(
    "search finds a message, marks the match as text, pages with More results, and opens the message in place highlighted",
    async () => {
      const { page } = pages.alice!;
      await page.getByLabel("Search", { exact: true }).fill("pineapple");
      await page.getByLabel("Search", { exact: true }).press("Enter");
      const results = page.getByRole("region", { name: "Search results" });
      await shown(results.getByText("1 result."));
      const result = results.getByRole("button", { name: /pineapple/ });
      expect(await result.locator("mark").allInnerTexts()).toEqual(["pineapple"]);
      // The snippet's markup-looking text stays text.
      expect(await result.textContent()).toContain("<b>not bold</b>");
      expect(await result.locator("b").count()).toBe(0);
      expect(await result.textContent()).toContain("in Archive");
      await page.screenshot({ path: join(ARTIFACTS, "views-search.png") });
      await result.focus();
      await page.keyboard.press("Enter");
      await shown(page.getByRole("heading", { name: "Archive" }));
      const found = page.locator(`.log .message.highlight[data-id="${pineappleId}"]`);
      await shown(found);
      expect(await found.textContent()).toContain("the pineapple plan");
      expect(await found.evaluate((node) => node === document.activeElement)).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "views-search-opened.png") });

      await page.getByLabel("Search", { exact: true }).fill("banana");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await shown(results.getByText("20 results so far."));
      await results.getByRole("button", { name: "More results" }).click();
      await shown(results.getByText("25 results."));
      expect(await results.getByRole("button", { name: "More results" }).isVisible()).toBe(false);
      const texts = await results.locator(".snippet").allInnerTexts();
      expect(new Set(texts).size).toBe(25);
      await results.getByRole("button", { name: "Close search" }).click();
      expect(await results.locator("li").count()).toBe(0);
      // Only the open conversation: nothing of Archive's bananas elsewhere.
      await open(page, /Team/);
      await page.getByLabel("Search", { exact: true }).fill("banana");
      await page.getByLabel("Only the open conversation").check();
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await shown(results.getByText("No messages found."));
      await page.getByLabel("Only the open conversation").uncheck();
      expect(await unnamedControls(page)).toEqual([]);
    },
    STEP,
  );

  test(
    "unread counts and the title total move live, the divider shows where alice left off, reading clears them",
    async () => {
      const alicePage = pages.alice!.page;
      const bobPage = pages.bob!.page;
      await conversations(alicePage).locator(`a[data-id="${direct.id}"]`).click();
      await open(bobPage, /Team/);
      await shown(bobPage.getByRole("log").getByText("welcome to the team"));
      const bobTitle = await eventually(async () => {
        const title = await bobPage.title();
        expect(title).toMatch(/^\(\d+\) Parley$/); // alice's messages elsewhere
        return title;
      });
      for (const text of ["first unread", "second unread"]) {
        await bobPage.getByLabel("Message").fill(text);
        await bobPage.getByLabel("Message").press("Enter");
      }
      const teamLink = conversations(alicePage).getByRole("link", { name: /Team/ });
      await shown(teamLink.getByLabel("2 unread"));
      await eventually(async () => expect(await alicePage.title()).toBe("(2) Parley"));
      await eventually(async () => expect(await alicePage.locator("link[rel=icon]").getAttribute("href")).toMatch(/^blob:/));
      await alicePage.screenshot({ path: join(ARTIFACTS, "views-unread.png") });

      await teamLink.click();
      const log = alicePage.getByRole("log");
      await shown(log.getByText("second unread"));
      const divider = log.getByRole("separator");
      await shown(divider);
      expect(await divider.textContent()).toBe("New messages");
      // Right before bob's first unread message, after alice's welcome.
      expect(await divider.evaluate((d) => (d.nextElementSibling as HTMLElement).textContent)).toContain("first unread");
      expect(await divider.evaluate((d) => (d.previousElementSibling as HTMLElement).textContent)).toContain("welcome to the team");
      await eventually(async () => expect(await alicePage.title()).toBe("Parley"));
      expect(await alicePage.locator("link[rel=icon]").getAttribute("href")).not.toMatch(/^blob:/);
      expect(await teamLink.getByLabel(/unread/).count()).toBe(0);
      await alicePage.screenshot({ path: join(ARTIFACTS, "views-divider.png") });
      // Bob's own messages never count for him.
      expect(await bobPage.title()).toBe(bobTitle);
    },
    STEP,
  );

  test(
    "while hidden, alice is notified of a mention and a direct message, not of a plain group message; a click opens the conversation",
    async () => {
      const { page } = pages.alice!;
      await open(page, /Archive/);
      await page.getByRole("button", { name: "Settings", exact: true }).click();
      const settings = page.getByRole("dialog", { name: "Settings" });
      await shown(settings.getByText("Desktop notifications are on while Parley is open in the background."));
      expect(await settings.getByRole("button", { name: "Allow desktop notifications" }).isVisible()).toBe(false);
      await settings.getByRole("button", { name: "Close" }).click();

      await hide(page, true);
      await send(api, bob, team.id, "plain group news");
      await send(api, bob, team.id, `@${alice.username} please look`);
      await eventually(async () => expect(await notes(page)).toEqual([{ title: `${bob.username} in Team`, body: `@${alice.username} please look` }]));
      await send(api, bob, direct.id, "a direct word");
      await eventually(async () => expect((await notes(page))[1]).toEqual({ title: bob.username, body: "a direct word" }));
      // Counted meanwhile, mentions too.
      await shown(conversations(page).getByRole("link", { name: /Team/ }).getByLabel("1 mentioning you"));
      await page.evaluate(() => (window as any).__notes[0].onclick());
      await hide(page, false);
      await shown(page.getByRole("heading", { name: "Team" }));
      await shown(page.getByRole("log").getByText("please look"));
    },
    STEP,
  );

  test(
    "'Every message' notifies of plain messages too; muting stops the notifications and the counting",
    async () => {
      const { page } = pages.alice!;
      await open(page, /Team/);
      await page.getByLabel("Notifications").selectOption("all");
      await conversations(page).locator(`a[data-id="${direct.id}"]`).click();
      await hide(page, true);
      const before = (await notes(page)).length;
      await send(api, bob, team.id, "everything counts");
      await eventually(async () => expect((await notes(page))[before]).toEqual({ title: `${bob.username} in Team`, body: "everything counts" }));
      // It is kept per user in this browser.
      expect(await page.evaluate((id) => localStorage.getItem(`parley.notify-all.${id}`), alice.id)).toBe(`[${team.id}]`);
      await hide(page, false);

      await open(page, /Team/);
      await page.getByLabel("Notifications").selectOption("muted");
      const teamLink = conversations(page).getByRole("link", { name: /Team/ });
      await shown(teamLink.getByRole("img", { name: "muted" }));
      expect((await api("GET", "/api/conversations/", { token: alice.access })).body.find((c: { id: number }) => c.id === team.id).muted).toBe(true);
      await open(page, /Archive/);
      await hide(page, true);
      const muted = (await notes(page)).length;
      await send(api, bob, team.id, "muted news");
      await send(api, bob, archive.id, "archive news");
      // Archive's message arrived after Team's: Team's was not counted, and neither notified.
      await shown(
        conversations(page)
          .getByRole("link", { name: /Archive/ })
          .getByLabel("1 unread"),
      );
      expect(await teamLink.getByLabel(/unread/).count()).toBe(0);
      await eventually(async () => expect(await page.title()).toBe("(1) Parley"));
      await send(api, bob, direct.id, "after the mute");
      await eventually(async () => expect((await notes(page)).slice(muted)).toEqual([{ title: bob.username, body: "after the mute" }]));
      await hide(page, false);
      await page.screenshot({ path: join(ARTIFACTS, "views-muted.png") });

      await open(page, /Team/);
      await page.getByLabel("Notifications").selectOption("default");
      await shown(page.getByRole("log").getByText("muted news"));
      await eventually(async () => expect(await teamLink.getByRole("img", { name: "muted" }).count()).toBe(0));
    },
    STEP,
  );

  test("no script errors and nothing refused by the Content-Security-Policy", () => {
    for (const { watch } of Object.values(pages)) {
      expect(watch.problems).toEqual([]);
      expect(watch.dialogs).toEqual([]);
    }
  });
});
