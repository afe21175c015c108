// The web client's integration pages in Chromium: an owner's incoming webhook (its URL shown once, a Slack-style post
// live on another person's page with the BOT badge and the given name, rotation ending the old URL), an outgoing
// webhook reaching a local receiver and shown delivered, staff making a bot and its token (working, then revoked),
// and a person's read-only API token refused a send.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { checkedFetch, listen, registerUser, type TestUser } from "../helpers";
import { ARTIFACTS, eventually, People, shown, unnamedControls } from "./browser-helpers";

const STEP = 30_000;

describe("web client in Chromium: webhooks, bots and API tokens", async () => {
  const people = new People();
  const { pages } = people;
  const { server, api } = await listen({ webhookAllowPrivate: true, webhookRetryMs: 50, webhookGiveUpMs: 400 });
  people.url = server.url;
  const received: { event: string | null; body: string }[] = [];
  let flaky = true;
  let delivered: () => void = () => {};
  const firstDelivery = new Promise<void>((resolve) => {
    delivered = resolve;
  });
  const receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      if (new URL(request.url).pathname === "/flaky") return new Response("down", { status: flaky ? 500 : 200 });
      received.push({ event: request.headers.get("x-parley-event"), body: await request.text() });
      delivered();
      return new Response("ok");
    },
  });
  afterAll(() => receiver.stop(true));
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let root: TestUser;
  let ops: { id: number };

  const secretOf = async (scope: Locator, label: string) => {
    const field = scope.getByLabel(label);
    await shown(field);
    expect(await field.getAttribute("readonly")).not.toBeNull();
    await shown(scope.getByText("Shown this once: copy it now, it cannot be seen again."));
    return field.inputValue();
  };
  /** Presses `button` in the small dialog titled `title` and waits until it has closed (the page behind is inert till then). */
  const confirm = async (page: Page, title: string, button: string) => {
    const asked = page.getByRole("dialog", { name: title });
    await asked.getByRole("button", { name: button }).click();
    await asked.waitFor({ state: "detached" });
  };
  /** Presses the deliveries dialog's Refresh until `text` shows (the deliveries happen on the server's schedule). */
  const refreshUntil = (log: Locator, text: string) =>
    eventually(async () => {
      await log.getByRole("button", { name: "Refresh" }).click();
      await shown(log.getByText(text), 500);
    });
  const post = (url: string, body: unknown) =>
    checkedFetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  /** No unnamed controls, no script errors or CSP refusals on `name`'s page. */
  const clean = async (name: string) => {
    expect(await unnamedControls(pages[name]!.page)).toEqual([]);
    expect(pages[name]!.watch.problems).toEqual([]);
  };

  beforeAll(async () => {
    [alice, bob, carol, root] = (await Promise.all(["alice", "bob", "carol", "root"].map((name) => registerUser(api, name)))) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    await server.parley.ctx.db.updateTable("users").set({ is_staff: 1 }).where("id", "=", root.id).execute();
    ops = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "Ops", members: [bob.id, carol.id] } })).body;
    for (const [name, user] of Object.entries({ alice, bob })) await people.logIn(await people.open(name), user);
  }, STEP);

  test(
    "an owner makes an incoming webhook; its post shows live for bob with the BOT badge; rotating ends the old URL",
    async () => {
      const page = pages.alice!.page;
      const bobPage = pages.bob!.page;
      await page.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name: /Ops/ }).click();
      await bobPage.getByRole("navigation", { name: "Conversations" }).getByRole("link", { name: /Ops/ }).click();
      await page.getByRole("button", { name: "Group settings" }).click();
      await page.getByRole("dialog", { name: "Ops settings" }).getByRole("button", { name: "Webhooks" }).click();
      const dialog = page.getByRole("dialog", { name: "Ops webhooks" });
      await dialog.getByLabel("Webhook name").fill("Deploys");
      await dialog.getByRole("button", { name: "Create incoming webhook" }).click();
      const url = await secretOf(dialog, "URL of Deploys");
      expect(url).toStartWith(`${server.url}/hooks/`);
      await shown(dialog.getByRole("listitem").filter({ hasText: "Deploys" }));

      const posted = await post(url, { text: "deployed *v1*", username: "CI" });
      expect([posted.status, await posted.text()]).toEqual([200, "ok"]);
      const message = bobPage.locator("article.message").filter({ hasText: "deployed v1" });
      await shown(message);
      expect(await message.locator(".sender").textContent()).toBe("CI");
      expect(await message.locator(".badge.bot").textContent()).toBe("BOT");
      expect(await message.getAttribute("aria-label")).toStartWith("CI (bot),");
      await shown(bobPage.getByRole("navigation", { name: "Conversations" }).getByText("CI: deployed *v1*"));
      await bobPage.screenshot({ path: join(ARTIFACTS, "integrations-bot-message.png") });

      await dialog.getByRole("button", { name: "Rotate Deploys" }).click();
      await confirm(page, "Rotate the URL of Deploys?", "Rotate");
      const fresh = await secretOf(dialog, "New URL of Deploys");
      expect(fresh).not.toBe(url);
      const old = await post(url, { text: "too late" });
      expect([old.status, await old.text()]).toEqual([404, "no_service"]);
      expect((await post(fresh, { text: "fresh" })).status).toBe(200);

      await dialog.getByRole("button", { name: "Rename Deploys" }).click();
      const rename = page.getByRole("dialog", { name: "Rename Deploys" });
      await rename.getByLabel("Webhook name").fill("Releases");
      await confirm(page, "Rename Deploys", "Rename");
      await shown(dialog.getByRole("button", { name: "Delete Releases" }));
      expect((await api("GET", `/api/conversations/${ops.id}/webhooks/`, { token: alice.access })).body.map((w: { name: string }) => w.name)).toEqual([
        "Releases",
      ]);
      await clean("alice");
      await page.screenshot({ path: join(ARTIFACTS, "integrations-webhooks.png") });
    },
    STEP,
  );

  test(
    "an outgoing webhook reaches a local receiver and its delivery shows as delivered; a refused URL is said in words",
    async () => {
      const page = pages.alice!.page;
      const dialog = page.getByRole("dialog", { name: "Ops webhooks" });
      await dialog.getByLabel("Receiver URL").fill("ftp://example.com/x");
      await dialog.getByRole("button", { name: "Create outgoing webhook" }).click();
      const status = dialog
        .locator("form")
        .filter({ has: page.getByLabel("Receiver URL") })
        .getByRole("status");
      const refusal = await api("POST", `/api/conversations/${ops.id}/outgoing-webhooks/`, {
        token: alice.access,
        body: { url: "ftp://example.com/x", events: ["message.created"] },
      });
      expect(refusal.status).toBe(400);
      await shown(status.getByText(`url: ${refusal.body.url.join(" ")}`));
      expect((await api("GET", `/api/conversations/${ops.id}/outgoing-webhooks/`, { token: alice.access })).body).toEqual([]);

      const target = `http://127.0.0.1:${receiver.port}/hook`;
      await dialog.getByLabel("Receiver URL").fill(target);
      await dialog.getByLabel("message.created").check();
      await dialog.getByRole("button", { name: "Create outgoing webhook" }).click();
      const secret = await secretOf(dialog, `Signing secret for ${target}`);
      expect(secret.length).toBeGreaterThan(10);
      await shown(dialog.getByRole("listitem").filter({ hasText: target }).getByText("message.created · active"));

      await api("POST", `/api/messages/${ops.id}/send/`, { token: bob.access, body: { message: "ship it" } });
      await firstDelivery;
      expect(received[0]!.event).toBe("message.created");
      expect(received[0]!.body).toContain("ship it");

      await dialog.getByRole("button", { name: `Deliveries to ${target}` }).click();
      const log = page.getByRole("dialog", { name: `Deliveries to ${target}` });
      await refreshUntil(log, "message.created: delivered");
      await shown(log.getByText(/1 attempt · HTTP 200 · \d+ ms/));
      await clean("alice");
      await page.screenshot({ path: join(ARTIFACTS, "integrations-deliveries.png") });
      await page.keyboard.press("Escape");
      await dialog.getByRole("button", { name: `Delete ${target}` }).click();
      await confirm(page, `Delete the webhook to ${target}?`, "Delete");
      expect((await api("GET", `/api/conversations/${ops.id}/outgoing-webhooks/`, { token: alice.access })).body).toEqual([]);
    },
    STEP,
  );

  test(
    "a receiver that keeps failing: the delivery is failed and the webhook disabled with its reason; Retry delivers it",
    async () => {
      const page = pages.alice!.page;
      const dialog = page.getByRole("dialog", { name: "Ops webhooks" });
      const target = `http://127.0.0.1:${receiver.port}/flaky`;
      await dialog.getByLabel("Receiver URL").fill(target);
      await dialog.getByRole("button", { name: "Create outgoing webhook" }).click();
      await secretOf(dialog, `Signing secret for ${target}`);
      await api("POST", `/api/messages/${ops.id}/send/`, { token: bob.access, body: { message: "anyone there?" } });
      await dialog.getByRole("button", { name: `Deliveries to ${target}` }).click();
      const log = page.getByRole("dialog", { name: `Deliveries to ${target}` });
      await refreshUntil(log, "message.created: failed");
      await shown(log.getByText(/HTTP 500/));
      const [hook] = (await api("GET", `/api/conversations/${ops.id}/outgoing-webhooks/`, { token: alice.access })).body;
      expect(hook.disabled_reason).toContain("failed");
      await page.keyboard.press("Escape");
      await page.keyboard.press("Escape");
      await page.getByRole("dialog", { name: "Ops settings" }).getByRole("button", { name: "Webhooks" }).click();
      await shown(dialog.getByText(`message.created · disabled: ${hook.disabled_reason}`));
      await dialog.getByRole("button", { name: `Deliveries to ${target}` }).click();
      flaky = false;
      await log.getByRole("button", { name: /^Retry delivery/ }).click();
      await refreshUntil(log, "message.created: delivered");
      expect((await api("GET", `/api/conversations/${ops.id}/outgoing-webhooks/`, { token: alice.access })).body[0].disabled_at).toBeNull();
      await clean("alice");
    },
    STEP,
  );

  test(
    "staff make a bot and a token in the admin view: the token works, and after revoking it gets 401",
    async () => {
      const page = await people.open("root");
      await people.logIn(page, root);
      await page.getByRole("button", { name: "Admin" }).click();
      const admin = page.getByRole("dialog", { name: "Administration" });
      await admin.getByLabel("Bot username").fill("deploybot");
      await admin.getByLabel("Display name").fill("Deploy Bot");
      await admin.getByRole("button", { name: "Create bot" }).click();
      await shown(admin.getByText("deploybot was created."));
      await admin.getByRole("button", { name: "Tokens of deploybot" }).click();
      const tokens = page.getByRole("dialog", { name: "Tokens of deploybot" });
      await tokens.getByLabel("Token name").fill("ci");
      await tokens.getByLabel("write").check();
      await tokens.getByRole("button", { name: "Create token" }).click();
      const token = await secretOf(tokens, "Token ci");
      expect(token).toStartWith("parley_");
      await shown(tokens.getByText(/^read, write · made .* · never used$/));
      expect((await api("GET", "/api/conversations/", { token })).status).toBe(200);
      await clean("root");
      await page.screenshot({ path: join(ARTIFACTS, "integrations-bot-tokens.png") });
      await tokens.getByRole("button", { name: "Revoke ci" }).click();
      await confirm(page, "Revoke ci?", "Revoke");
      await shown(tokens.getByText("None yet."));
      expect((await api("GET", "/api/conversations/", { token })).status).toBe(401);
    },
    STEP,
  );

  test(
    "a person makes a read-only API token in Settings: it reads, and a send with it gets 403",
    async () => {
      const page = await people.open("carol");
      await people.logIn(page, carol);
      await page.getByRole("button", { name: "Settings", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: "Settings" });
      await dialog.getByLabel("Token name").fill("reader");
      await dialog.getByLabel("Expires on (optional)").fill("2099-12-31");
      await dialog.getByRole("button", { name: "Create token" }).click();
      const token = await secretOf(dialog, "Token reader");
      await shown(dialog.getByText(/^read · made .* · never used · expires /));
      expect((await api("GET", "/api/conversations/", { token })).status).toBe(200);
      const send = await api("POST", `/api/messages/${ops.id}/send/`, { token, body: { message: "from a script" } });
      expect([send.status, send.body.code]).toEqual([403, "insufficient_scope"]);
      const listed = (await api("GET", "/api/tokens/", { token: carol.access })).body;
      expect(listed).toMatchObject([{ name: "reader", scopes: ["read"] }]);
      expect(listed[0].expires_at).toMatch(/^(2099-12-31|2100-01-01)T/);
      await clean("carol");
      await page.screenshot({ path: join(ARTIFACTS, "integrations-api-tokens.png") });
    },
    STEP,
  );
});
