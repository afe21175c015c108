// The web client in Chromium, several people: group settings (rename, private, add, promote, demote, remove, a
// refusal in words, leave), account settings (name, email, password, log out everywhere), the staff view
// (deactivating a user logs their open page out; reactivating lets them back) and dark mode.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { listen, registerUser, type TestUser } from "../helpers";
import { ARTIFACTS, eventually, People, shown, unnamedControls } from "./browser-helpers";

const STEP = 30_000;

describe("web client in Chromium: group settings, account, staff, dark mode", async () => {
  const people = new People();
  const { pages } = people;
  const { server, api } = await listen();
  people.url = server.url;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let root: TestUser;
  let crew: { id: number };

  const conversations = (page: Page) => page.getByRole("navigation", { name: "Conversations" });
  const role = async (userId: number) =>
    (await api("GET", "/api/groups/", { token: alice.access })).body
      .find((g: { id: number }) => g.id === crew.id)
      .roles.find((r: { user_id: number }) => r.user_id === userId)?.role;

  const openPage = (name: string, options = {}) => people.open(name, options);
  const logIn = (page: Page, user: TestUser) => people.logIn(page, user);

  beforeAll(async () => {
    [alice, bob, carol, root] = [
      await registerUser(api, "alice"),
      await registerUser(api, "bob"),
      await registerUser(api, "carol"),
      await registerUser(api, "root"),
    ];
    await server.parley.ctx.db.updateTable("users").set({ is_staff: 1 }).where("id", "=", root.id).execute();
    crew = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "Crew", members: [bob.id] } })).body;
    await api("POST", `/api/messages/${crew.id}/send/`, { token: alice.access, body: { message: "crew, assemble" } });
    for (const [name, user] of [
      ["alice", alice],
      ["bob", bob],
    ] as const)
      await logIn(await openPage(name), user);
  }, STEP);

  test(
    "an owner renames the group, makes it private, adds, promotes, demotes and removes members; bob sees it live",
    async () => {
      const page = pages.alice!.page;
      const bobPage = pages.bob!.page;
      await conversations(page).getByRole("link", { name: /Crew/ }).click();
      await conversations(bobPage).getByRole("link", { name: /Crew/ }).click();
      await page.getByRole("button", { name: "Group settings" }).click();
      const dialog = page.getByRole("dialog", { name: "Crew settings" });
      const status = dialog.getByRole("status").first();
      await dialog.getByLabel("Group name").fill("Crew Two");
      await dialog.getByLabel(/Private/).check();
      await dialog.getByRole("button", { name: "Save" }).click();
      await shown(status.getByText("Group settings saved."));
      const group = (await api("GET", "/api/groups/", { token: alice.access })).body.find((g: { id: number }) => g.id === crew.id);
      expect(group).toMatchObject({ name: "Crew Two", private: true });
      await shown(bobPage.getByRole("heading", { name: "Crew Two" }));

      await dialog.getByLabel("Add a member by username").fill(carol.username);
      await dialog.getByRole("button", { name: "Add member" }).click();
      await shown(status.getByText(`${carol.username} was added.`));
      expect(await role(carol.id)).toBe("member");
      await dialog.getByLabel(`Role of ${bob.username}`).selectOption("admin");
      await shown(status.getByText(`${bob.username} is now admin.`));
      expect(await role(bob.id)).toBe("admin");
      await dialog.getByLabel(`Role of ${carol.username}`).selectOption("admin");
      await shown(status.getByText(`${carol.username} is now admin.`));
      await dialog.getByLabel(`Role of ${carol.username}`).selectOption("member");
      await shown(status.getByText(`${carol.username} is now member.`));
      expect(await role(carol.id)).toBe("member");
      expect(await unnamedControls(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "views-group-settings.png") });
      await dialog.getByRole("button", { name: `Remove ${carol.username}` }).click();
      await shown(status.getByText(`${carol.username} was removed.`));
      expect(await role(carol.id)).toBeUndefined();
      await dialog.getByLabel("Add a member by username").fill("nobody-by-this-name");
      await dialog.getByRole("button", { name: "Add member" }).click();
      await shown(status.getByText("No user with that username."));
      await page.keyboard.press("Escape");
      expect(await page.getByRole("dialog").count()).toBe(0);
    },
    STEP,
  );

  test(
    "an admin's refused change is shown in the API's words; leaving from the dialog removes the group",
    async () => {
      const page = pages.bob!.page;
      await page.getByRole("button", { name: "Group settings" }).click();
      const dialog = page.getByRole("dialog", { name: "Crew Two settings" });
      await dialog.getByLabel(`Role of ${alice.username}`).selectOption("member");
      const refusal = await api("PATCH", `/api/groups/${crew.id}/members/${alice.id}/`, { token: bob.access, body: { role: "member" } });
      expect(refusal.status).toBe(403);
      await shown(dialog.getByRole("status").getByText(refusal.body.detail));
      expect(await dialog.getByLabel(`Role of ${alice.username}`).inputValue()).toBe("owner");
      expect(await role(alice.id)).toBe("owner");
      await dialog.getByRole("button", { name: "Leave group" }).click();
      await shown(page.getByText("You left Crew Two."));
      expect(await page.getByRole("dialog").count()).toBe(0);
      expect(
        await conversations(page)
          .getByRole("link", { name: /Crew Two/ })
          .count(),
      ).toBe(0);
      expect(await role(bob.id)).toBeUndefined();
    },
    STEP,
  );

  test(
    "account settings change the name, the email and the password (a wrong current password refused in words)",
    async () => {
      const page = pages.bob!.page;
      await page.getByRole("button", { name: "Settings", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: "Settings" });
      // Never asked on load: the person allows it here (the dialog drawn first: it reads the permission as it opens).
      await shown(dialog.getByRole("button", { name: "Allow desktop notifications" }));
      expect(await page.evaluate(() => Notification.permission)).toBe("default");
      await pages.bob!.context.grantPermissions(["notifications"], { origin: server.url });
      await dialog.getByRole("button", { name: "Allow desktop notifications" }).click();
      await shown(dialog.getByText("Desktop notifications are on while Parley is open in the background."));
      expect(await dialog.getByRole("button", { name: "Allow desktop notifications" }).isVisible()).toBe(false);
      await dialog.getByLabel("First name").fill("Robert");
      await dialog.getByLabel("Last name").fill("Builder");
      await dialog.getByRole("button", { name: "Save name" }).click();
      await shown(dialog.getByText("Your name was saved."));
      expect((await api("GET", `/api/${bob.id}/`, { token: alice.access })).body).toMatchObject({ first_name: "Robert", last_name: "Builder" });

      const emailForm = dialog.locator("form").filter({ has: page.getByRole("button", { name: "Change email" }) });
      const passwordForm = dialog.locator("form").filter({ has: page.getByRole("button", { name: "Change password" }) });
      await emailForm.getByLabel("Email").fill(`new-${bob.email}`);
      await emailForm.getByLabel("Current password").fill("not my password");
      await emailForm.getByRole("button", { name: "Change email" }).click();
      await shown(emailForm.getByText("Your current password was entered incorrectly."));
      expect(await emailForm.getByLabel("Current password").getAttribute("aria-invalid")).toBe("true");
      await emailForm.getByLabel("Current password").fill(bob.password);
      await emailForm.getByRole("button", { name: "Change email" }).click();
      await shown(emailForm.getByText("Your email was changed."));
      bob.email = `new-${bob.email}`;

      await passwordForm.getByLabel("Current password").fill("still not it");
      await passwordForm.getByLabel("New password").fill("a brand new secret");
      await passwordForm.getByRole("button", { name: "Change password" }).click();
      await shown(passwordForm.getByText("Your current password was entered incorrectly."));
      await passwordForm.getByLabel("Current password").fill(bob.password);
      await passwordForm.getByLabel("New password").fill("a brand new secret");
      await passwordForm.getByRole("button", { name: "Change password" }).click();
      await shown(passwordForm.getByText(/Your password was changed/));
      bob.password = "a brand new secret";
      expect(await unnamedControls(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "views-account.png") });
      await page.keyboard.press("Escape");
      expect(await page.getByRole("dialog").count()).toBe(0);
      // Focus went back to the button that opened the dialog.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Settings");
      // The page logged in again with the new password and goes on working (the old tokens are dead).
      const session = JSON.parse((await page.evaluate(() => localStorage.getItem("parley.session")))!);
      expect(session.user.email).toBe(bob.email);
      expect((await api("GET", "/api/users/protected/", { token: session.access })).status).toBe(200);
      expect((await api("GET", "/api/users/protected/", { token: bob.access })).status).toBe(401);
      await page.getByLabel("Username").fill(alice.username);
      await page.getByRole("button", { name: "Start chat" }).click();
      await shown(page.getByRole("heading", { name: alice.username }));
      await page.getByLabel("Message").fill("new password, same me");
      await page.getByLabel("Message").press("Enter");
      await eventually(async () => expect(await page.locator(".message.pending").count()).toBe(0));
      expect(await page.getByRole("button", { name: "Log out" }).isVisible()).toBe(true);
    },
    STEP,
  );

  test(
    "log out everywhere logs out this page and bob's second browser",
    async () => {
      const second = await openPage("bob2");
      await logIn(second, bob);
      const page = pages.bob!.page;
      await page.getByRole("button", { name: "Settings", exact: true }).click();
      await page.getByRole("dialog", { name: "Settings" }).getByRole("button", { name: "Log out everywhere" }).click();
      await shown(page.getByRole("button", { name: "Log in" }));
      await shown(second.getByRole("button", { name: "Log in" }));
      expect(await page.getByRole("dialog").count()).toBe(0);
    },
    STEP,
  );

  test(
    "only staff see the admin view; deactivating carol logs her open page out, reactivating lets her back",
    async () => {
      const carolPage = await openPage("carol");
      await logIn(carolPage, carol);
      const page = await openPage("root");
      await logIn(page, root);
      await page.getByRole("button", { name: "Admin" }).click();
      expect(await pages.alice!.page.getByRole("button", { name: "Admin" }).count()).toBe(0);
      const dialog = page.getByRole("dialog", { name: "Administration" });
      await shown(dialog.getByText("Crew Two"));
      await dialog.getByLabel("Search users").fill(carol.username);
      await eventually(async () =>
        expect(await dialog.locator(".admin-list").first().locator("li").allTextContents()).toEqual([expect.stringContaining(carol.email)]),
      );
      await dialog.getByRole("button", { name: `Deactivate ${carol.username}` }).click();
      await shown(dialog.getByText(`${carol.username} was deactivated.`));
      await shown(carolPage.getByRole("button", { name: "Log in" }));
      await shown(carolPage.getByRole("alert").getByText("Please log in again."));
      expect(await unnamedControls(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "views-admin.png") });
      await carolPage.getByLabel("Email").fill(carol.email);
      await carolPage.getByLabel("Password").fill(carol.password);
      await carolPage.getByRole("button", { name: "Log in" }).click();
      await shown(carolPage.getByText("Invalid email or password"));

      await dialog.getByRole("button", { name: `Reactivate ${carol.username}` }).click();
      await shown(dialog.getByText(`${carol.username} was reactivated.`));
      await logIn(carolPage, carol);
    },
    STEP,
  );

  test(
    "the group directory searches by name and pages with More groups; joining opens the group",
    async () => {
      for (let i = 1; i <= 52; i++) {
        const made = await api("POST", "/api/groups/create/", { token: root.access, body: { name: `Club ${i}` } });
        if (made.status !== 201) throw new Error(`group ${i}: ${made.status}`);
      }
      const page = pages.alice!.page;
      await page.getByRole("button", { name: "Browse groups" }).click();
      const directory = page.getByRole("region", { name: "Groups" });
      await directory.getByLabel("Search groups").fill("club");
      await eventually(async () => expect(await directory.getByRole("listitem").count()).toBe(50));
      await directory.getByRole("button", { name: "More groups" }).click();
      await eventually(async () => expect(await directory.getByRole("listitem").count()).toBe(52));
      expect(await directory.getByRole("button", { name: "More groups" }).isVisible()).toBe(false);
      await directory.getByLabel("Search groups").fill("Club 7");
      await eventually(async () => expect(await directory.getByRole("listitem").allTextContents()).toEqual([expect.stringContaining("Club 7")]));
      await directory.getByRole("button", { name: "Join" }).press("Enter");
      await shown(page.getByRole("heading", { name: "Club 7" }));
    },
    STEP,
  );

  test(
    "dark mode follows the system setting",
    async () => {
      const page = await openPage("dark", { colorScheme: "dark" });
      await logIn(page, alice);
      await conversations(page)
        .getByRole("link", { name: /Crew Two/ })
        .click();
      await shown(page.getByRole("log").getByText("crew, assemble"));
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe("rgb(21, 24, 28)");
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).color)).toBe("rgb(232, 234, 237)");
      await page.screenshot({ path: join(ARTIFACTS, "views-dark.png") });
      await page.getByRole("button", { name: "Group settings" }).click();
      await shown(page.getByRole("dialog", { name: "Crew Two settings" }).getByRole("heading", { name: "Members" }));
      expect(await page.getByRole("dialog").evaluate((d) => getComputedStyle(d).backgroundColor)).toBe("rgb(29, 33, 38)");
      await page.screenshot({ path: join(ARTIFACTS, "views-dark-dialog.png") });
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
