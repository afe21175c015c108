// The web client in Chromium, beyond the first conversation: logging in (and failing to), groups made, joined and
// left, older pages loaded on scroll, a file sent with its progress bar, a dropped socket resumed, presence, logout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { listen, registerUser, type TestUser } from "../helpers";
import { ARTIFACTS, eventually, launchChromium, shown, watchPage } from "./browser-helpers";

const STEP = 30_000;

describe("web client in Chromium: groups, history, resume", async () => {
  let browser: Browser;
  const pages: Record<string, { context: BrowserContext; page: Page; watch: ReturnType<typeof watchPage> }> = {};
  afterAll(async () => {
    for (const [name, { page }] of Object.entries(pages)) await page.screenshot({ path: join(ARTIFACTS, `groups-${name}.png`) }).catch(() => {});
    await browser?.close();
  });
  const { server, api } = await listen();
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let history: { id: number };
  /** While true, carol's browser cannot open a WebSocket (the server is "unreachable" for it). */
  let carolOffline = false;

  const log = (page: Page) => page.getByRole("log", { name: "Conversation history" });
  const conversations = (page: Page) => page.getByRole("navigation", { name: "Conversations" });

  async function logIn(name: string, user: TestUser, password = user.password) {
    const page = pages[name]!.page;
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
  }

  beforeAll(async () => {
    [alice, bob, carol] = [await registerUser(api, "alice"), await registerUser(api, "bob"), await registerUser(api, "carol")];
    // A group with more history than one page, written over REST before anyone opens it.
    history = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "History", members: [bob.id] } })).body;
    for (let i = 1; i <= 75; i++) {
      const sent = await api("POST", `/api/messages/${history.id}/send/`, { token: i % 2 ? alice.access : bob.access, body: { message: `history ${i}` } });
      if (sent.status !== 201) throw new Error(`seed message ${i}: ${sent.status}`);
    }
    // A direct conversation both have written in: only then do the two see each other's presence.
    const direct = (await api("POST", "/api/conversations/direct/", { token: alice.access, body: { user_id: carol.id } })).body;
    for (const [from, message] of [
      [alice, "hello carol"],
      [carol, "hello alice"],
    ] as const) {
      if ((await api("POST", `/api/messages/${direct.id}/send/`, { token: from.access, body: { message } })).status !== 201) throw new Error(`seed ${message}`);
    }
    browser = await launchChromium();
    for (const name of ["alice", "carol"]) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
      const page = await context.newPage();
      if (name === "carol") await page.routeWebSocket(/\/ws/, (ws) => (carolOffline ? ws.close({ code: 1006 }) : ws.connectToServer()));
      pages[name] = { context, page, watch: watchPage(page) };
      await page.goto(server.url);
    }
  }, STEP);

  test(
    "a wrong password is refused with the API's message; the right one logs in",
    async () => {
      const { page } = pages.carol!;
      await logIn("carol", carol, "not the password");
      await eventually(async () => expect(await page.getByRole("alert").first().textContent()).toContain("Invalid email or password"));
      await logIn("carol", carol);
      await shown(page.getByRole("button", { name: "Log out" }));
      await logIn("alice", alice);
      await shown(pages.alice!.page.getByRole("button", { name: "Log out" }));
    },
    STEP,
  );

  test(
    "the conversation list is most recent first, with presence dots for direct conversations",
    async () => {
      const { page } = pages.alice!;
      const links = conversations(page).getByRole("link");
      await eventually(async () => expect(await links.count()).toBe(2));
      // The direct conversation with carol was written in after the group's last message.
      const names = await links.allInnerTexts();
      expect(names[0]).toContain(carol.username);
      expect(names[1]).toContain("History");
      await shown(
        conversations(page)
          .getByRole("link", { name: new RegExp(carol.username) })
          .getByRole("img", { name: "online" }),
      );
    },
    STEP,
  );

  test(
    "history loads older pages while scrolling up, each message once",
    async () => {
      const { page } = pages.alice!;
      await conversations(page)
        .getByRole("link", { name: /History/ })
        .click();
      await shown(log(page).getByText("history 75", { exact: true }));
      expect(await log(page).locator(".message").count()).toBe(30);
      await eventually(async () => {
        await log(page).evaluate((element) => (element.scrollTop = 0));
        expect(await log(page).locator(".message").count()).toBe(75);
      }, 10_000);
      await shown(log(page).getByText("This is the beginning of the conversation."));
      const texts = await log(page).locator(".message .text").allInnerTexts();
      expect(texts).toEqual(Array.from({ length: 75 }, (_, i) => `history ${i + 1}`));
    },
    STEP,
  );

  test(
    "alice makes a group with bob; carol finds it, joins, reads it and leaves",
    async () => {
      const alicePage = pages.alice!.page;
      await alicePage.getByRole("button", { name: "New group" }).click();
      await alicePage.getByLabel("Group name").fill("Design Team");
      await alicePage.getByLabel("Members to add").fill(bob.username);
      await alicePage.getByRole("button", { name: "Create group" }).click();
      await shown(alicePage.getByRole("heading", { name: "Design Team" }));
      await alicePage.getByLabel("Message").fill("Welcome to design");
      await alicePage.getByLabel("Message").press("Enter");
      await shown(log(alicePage).getByText("Welcome to design"));

      const page = pages.carol!.page;
      await page.getByRole("button", { name: "Browse groups" }).click();
      await page.getByLabel("Search groups").fill("design");
      const join = page.getByRole("button", { name: "Join" });
      await eventually(async () => expect(await join.count()).toBe(1));
      expect(await join.getAttribute("aria-describedby")).toBeTruthy(); // "Join", described by the group's name
      await join.click();
      await shown(page.getByRole("heading", { name: "Design Team" }));
      await shown(log(page).getByText("Welcome to design"));
      await shown(alicePage.getByText("3 members", { exact: false }));

      await page.getByRole("button", { name: "Leave" }).click();
      await shown(page.getByText("You left Design Team."));
      await eventually(async () =>
        expect(
          await conversations(page)
            .getByRole("link", { name: /Design Team/ })
            .count(),
        ).toBe(0),
      );
      await shown(alicePage.getByText("2 members", { exact: false }));
    },
    STEP,
  );

  test(
    "a file that is not an image goes with a progress bar and arrives as a download link",
    async () => {
      const { page } = pages.alice!;
      await conversations(page)
        .getByRole("link", { name: new RegExp(carol.username) })
        .click();
      await shown(page.getByRole("heading", { name: carol.username }));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route(
        "**/send/",
        async (route) => {
          await held;
          await route.continue();
        },
        { times: 1 },
      );
      await page
        .locator('input[type="file"]')
        .setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("meeting notes\n".repeat(2000)) });
      await page.getByRole("button", { name: "Send" }).click();
      await shown(page.getByRole("progressbar", { name: "Uploading notes.txt" }));
      release();
      const link = log(page).getByRole("link", { name: /notes\.txt/ });
      await shown(link);
      expect(await link.getAttribute("download")).toBe("notes.txt");
      expect(await link.getAttribute("href")).toStartWith("/api/files/");
      expect(await page.getByRole("progressbar").count()).toBe(0);
      // Carol has no conversation open: hers shows the file as the newest message.
      await eventually(async () =>
        expect(
          await conversations(pages.carol!.page)
            .getByRole("link", { name: new RegExp(alice.username) })
            .textContent(),
        ).toContain("notes.txt"),
      );
    },
    STEP,
  );

  test(
    "a dropped connection shows 'Reconnecting…' and resumes with what was missed, once",
    async () => {
      const { page } = pages.carol!;
      await conversations(page)
        .getByRole("link", { name: new RegExp(alice.username) })
        .click();
      await shown(log(page).getByRole("link", { name: /notes\.txt/ }));
      carolOffline = true;
      server.parley.ctx.hub.disconnectUser(carol.id, 1012, "Service restart");
      await shown(page.getByText("Reconnecting…"));
      const sent = await api("POST", `/api/messages/0/send/`, { token: alice.access, body: { receiver_user: carol.id, message: "sent while you were away" } });
      expect(sent.status).toBe(201);
      carolOffline = false;
      await shown(log(page).getByText("sent while you were away"), 20_000);
      await eventually(async () => expect(await page.getByText("Reconnecting…").count()).toBe(0));
      expect(await log(page).getByText("sent while you were away").count()).toBe(1);
      // Edits and deletions arrive live too.
      const edited = await api("PATCH", `/api/messages/${sent.body.conversation_id}/${sent.body.id}/`, {
        token: alice.access,
        body: { message: "sent while you were away (fixed)" },
      });
      expect(edited.status).toBe(200);
      await shown(log(page).getByText("sent while you were away (fixed)"));
      await shown(log(page).locator(`[data-id="${sent.body.id}"]`).getByText("(edited)"));
      expect((await api("DELETE", `/api/messages/${sent.body.conversation_id}/${sent.body.id}/`, { token: alice.access })).status).toBe(204);
      await shown(log(page).locator(`[data-id="${sent.body.id}"]`).getByText("Message deleted"));
      expect(await log(page).getByText("sent while you were away (fixed)").count()).toBe(0);
    },
    STEP,
  );

  test(
    "presence turns offline when carol's browser goes away; logging out returns to the login form",
    async () => {
      const { page } = pages.alice!;
      const dot = conversations(page)
        .getByRole("link", { name: new RegExp(carol.username) })
        .getByRole("img");
      expect(await dot.getAttribute("aria-label")).toBe("online");
      await pages.carol!.context.close();
      delete pages.carol;
      await eventually(async () => expect(await dot.getAttribute("aria-label")).toBe("offline"));

      const session = JSON.parse((await page.evaluate(() => localStorage.getItem("parley.session")))!);
      await page.getByRole("button", { name: "Log out" }).click();
      await shown(page.getByRole("button", { name: "Log in" }));
      await shown(page.getByText("You have logged out."));
      expect(await page.evaluate(() => localStorage.getItem("parley.session"))).toBeNull();
      // The browser's refresh token was revoked on the server, not just forgotten here.
      expect((await api("POST", "/api/token/refresh/", { body: { refresh: session.refresh } })).status).toBe(401);
      await page.reload();
      await shown(page.getByRole("button", { name: "Log in" }));
    },
    STEP,
  );

  test("no script errors and nothing refused by the Content-Security-Policy", () => {
    for (const { watch } of Object.values(pages)) expect(watch.problems).toEqual([]);
  });
});
