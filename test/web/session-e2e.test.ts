// The browser session with 3-second access tokens: the client refreshes before expiry (rotating the refresh token)
// and keeps working; when the server ends the session, the page says so and shows the login form.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { decodeJwt, listen, queryRows } from "../helpers";
import { upgradeStatus } from "../ws-helpers";
import { ARTIFACTS, eventually, launchChromium, shown, watchPage } from "./browser-helpers";

const STEP = 30_000;

describe("web client session in Chromium", async () => {
  let browser: Browser;
  let page: Page;
  let watch: ReturnType<typeof watchPage>;
  afterAll(async () => {
    await page?.screenshot({ path: join(ARTIFACTS, "session.png") }).catch(() => {});
    await browser?.close();
  });
  const { server, api } = await listen({ accessTtlMs: 3_000 });
  /** Every WebSocket URL the page opened. */
  const socketUrls: string[] = [];
  const session = async () => JSON.parse((await page.evaluate(() => localStorage.getItem("parley.session"))) ?? "null");

  beforeAll(async () => {
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    watch = watchPage(page);
    page.on("websocket", (socket) => socketUrls.push(socket.url()));
    await page.goto(server.url);
  }, STEP);

  test(
    "the access token is refreshed before it expires, and the app keeps working on the new one",
    async () => {
      await page.getByRole("link", { name: "Create an account" }).click();
      await page.getByLabel("Username").fill("dana");
      await page.getByLabel("Email").fill("dana@example.com");
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Register" }).click();
      await shown(page.getByRole("button", { name: "Log out" }));
      const first = await session();
      const second = await eventually(async () => {
        const now = await session();
        expect(now.access).not.toBe(first.access);
        return now;
      }, 6_000);
      expect(second.refresh).not.toBe(first.refresh);
      // Rotation: the first refresh token was spent (using it again would end the page's login too).
      expect(await queryRows(server.parley, "SELECT jti FROM revoked_tokens WHERE jti = ?", [decodeJwt(first.refresh).payload.jti])).toHaveLength(1);
      // Past the first token's lifetime, REST and the socket still work.
      await page.getByLabel("Username").fill("dana");
      await page.getByRole("button", { name: "Start chat" }).click();
      await shown(page.getByRole("heading", { name: "dana" }));
      await page.getByLabel("Message").fill("note to self");
      await page.getByLabel("Message").press("Enter");
      await shown(page.getByRole("log").getByText("note to self"));
      await eventually(async () => expect(await page.locator(".message.pending").count()).toBe(0));
    },
    STEP,
  );

  test(
    "a session ended on the server shows the login form with a message saying so",
    async () => {
      const current = await session();
      const logout = await api("POST", "/api/logout/", { token: current.access, body: { refresh: current.refresh } });
      expect(logout.status).toBe(200);
      await shown(page.getByRole("button", { name: "Log in" }), 10_000);
      await eventually(async () => expect(await page.getByRole("alert").first().textContent()).toMatch(/session has (expired|ended)/));
      expect(await session()).toBeNull();
    },
    STEP,
  );

  test(
    "keyboard only: log in, open the conversation, send with Enter",
    async () => {
      // The login form focuses its first field; Tab moves on, Enter submits.
      await page.keyboard.type("dana@example.com");
      await page.keyboard.press("Tab");
      await page.keyboard.type("correct horse battery");
      await page.keyboard.press("Enter");
      await shown(page.getByRole("button", { name: "Log out" }));
      const link = page.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name: /dana/ });
      await shown(link);
      let focused = "";
      for (let i = 0; i < 15 && !focused.includes("#/c/"); i++) {
        await page.keyboard.press("Tab");
        focused = await page.evaluate(() => document.activeElement?.getAttribute("href") ?? "");
      }
      expect(focused).toStartWith("#/c/");
      await page.keyboard.press("Enter");
      await shown(page.getByRole("heading", { name: "dana" }));
      // On a desktop-sized window the composer has the focus once a conversation opens.
      expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("TEXTAREA");
      await page.keyboard.type("typed, not clicked");
      await page.keyboard.press("Enter");
      await shown(page.getByRole("log").getByText("typed, not clicked"));
      expect(watch.problems).toEqual([]);
    },
    STEP,
  );

  test(
    "every socket the page opened carried a single-use ticket in its URL, never a token",
    async () => {
      expect(socketUrls.length).toBeGreaterThanOrEqual(2); // one per login at least
      for (const url of socketUrls) {
        const query = new URL(url).searchParams;
        expect(query.has("token")).toBe(false);
        expect(url).not.toContain("eyJ"); // no JWT anywhere in it
        expect(query.get("ticket")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      }
      expect(await upgradeStatus(server.url, `/ws?ticket=${new URL(socketUrls[0]!).searchParams.get("ticket")}`)).toBe(401); // spent
    },
    STEP,
  );
});
