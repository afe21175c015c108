// Incoming webhooks: the payloads Alertmanager, Grafana and GitHub-style CI steps really send (fixtures), form-encoded
// `payload=`, and odd input — answered the way Slack answers, stored and delivered like any message, never a 500.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createGroup, directWith, makeStaff } from "../chat-helpers";
import { checkedFetch, listen, queryRows, registerUser, type TestUser } from "../helpers";
import { connect } from "../ws-helpers";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "../fixtures/webhooks", name), "utf8");
const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

describe("incoming webhooks", async () => {
  const { server, api } = await listen({ limitWebhook: { capacity: 1000, periodMs: 1000 } });
  const parley = server.parley;
  const [owner, member, staff] = (await Promise.all(["owner", "member", "staff"].map((n) => registerUser(api, n)))) as [TestUser, TestUser, TestUser];
  await makeStaff(parley, staff.id);
  const group = await createGroup(api, owner, [member.id]);
  const hook = (await api("POST", `/api/conversations/${group.id}/webhooks/`, { token: owner.access, body: { name: "Alerts" } })).body;
  const post = (url: string, body: string, contentType = "application/json") =>
    checkedFetch(url, { method: "POST", body, headers: contentType ? { "content-type": contentType } : {} });
  const lastMessage = async () => (await api("GET", `/api/messages/${group.id}/?limit=1`, { token: member.access })).body;

  test("owners create one: a URL shown once, its secret kept as a hash, a bot of its own added to the group", async () => {
    expect(hook.url).toBe(`${server.url}${hook.path}`);
    const secret = hook.path.split("/").at(-1);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await queryRows(parley, "SELECT secret_hash FROM incoming_webhooks WHERE id = ?", [hook.id])).toEqual([{ secret_hash: sha256(secret) }]);
    const listed = await api("GET", `/api/conversations/${group.id}/webhooks/`, { token: owner.access });
    expect(listed.body).toEqual([
      { id: hook.id, conversation_id: group.id, name: "Alerts", bot: hook.bot, created_by: owner.id, created_at: expect.any(String) },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const members = (await api("GET", "/api/conversations/", { token: owner.access })).body.find((c: { id: number }) => c.id === group.id).members;
    expect(members.find((m: { id: number }) => m.id === hook.bot.id)).toMatchObject({ is_bot: true, first_name: "Alerts" });
    // Members who are not owners or admins may not; staff may.
    expect((await api("POST", `/api/conversations/${group.id}/webhooks/`, { token: member.access, body: { name: "x" } })).status).toBe(403);
    expect((await api("GET", `/api/conversations/${group.id}/webhooks/`, { token: member.access })).status).toBe(403);
    expect((await api("GET", `/api/conversations/${group.id}/webhooks/`, { token: staff.access })).status).toBe(200);
  });

  test("an Alertmanager notification (slack_configs) is posted as the bot, via_webhook, delivered live", async () => {
    const socket = await connect(server.url, member.access);
    const response = await post(hook.url, fixture("alertmanager-slack.json"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain");
    expect(await response.text()).toBe("ok");
    const frame = await socket.next("message.created");
    expect(frame.data).toMatchObject({ sender: hook.bot.id, sender_is_bot: true, via_webhook: true, sender_display_name: "Alertmanager" });
    expect(frame.data.message).toStartWith(
      "[FIRING:2] InstanceDown (node production) (http://alertmanager.example:9093/#/alerts?receiver=parley)\n*Alert:* Instance 10.0.0.5:9100 down - `critical`",
    );
    expect(frame.data.message).toContain("*instance:* `10.0.0.6:9100`");
    expect(frame.data.message).not.toContain("| http"); // the fallback is not repeated
    expect((await lastMessage())[0]).toMatchObject({ id: frame.data.id, via_webhook: true, sender_display_name: "Alertmanager" });
    await socket.close();
  });

  test("a Grafana alert and a GitHub-style message with attachments read as plain text", async () => {
    expect((await post(hook.url, fixture("grafana-slack.json"))).status).toBe(200);
    const grafana = (await lastMessage())[0];
    expect(grafana.sender_display_name).toBe("Grafana");
    expect(grafana.message).toBe(
      [
        "[FIRING:1] High CPU usage (web-01) (http://grafana.example:3000/alerting/list)",
        JSON.parse(fixture("grafana-slack.json")).attachments[0].text.trim(),
        "Grafana v10.4.1",
      ].join("\n"),
    );
    expect((await post(hook.url, fixture("github-actions.json"))).status).toBe(200);
    expect((await lastMessage())[0].message).toBe(
      [
        "Workflow CI #7107 (https://github.com/acme/shop/actions/runs/7107) finished",
        "",
        "octocat",
        "acme/shop: build failed on main (https://github.com/acme/shop/commit/4f2a9c1)",
        "Fix checkout rounding & totals (#1289)",
        "Repository: acme/shop",
        "Ref: refs/heads/main",
        "Commit: 4f2a9c1 (https://github.com/acme/shop/commit/4f2a9c1)",
        "Job: test (ubuntu-latest)",
        "GitHub Actions",
      ].join("\n"),
    );
  });

  test("form-encoded payload=, blocks, and a plain curl text", async () => {
    const form = new URLSearchParams({ payload: JSON.stringify({ text: "deploy <!here> done & dusted", username: "deploy" }) }).toString();
    expect((await post(hook.url, form, "application/x-www-form-urlencoded")).status).toBe(200);
    expect((await lastMessage())[0]).toMatchObject({ message: "deploy @here done & dusted", sender_display_name: "deploy" });
    const blocks = {
      text: "fallback only",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "Release 2.4" } },
        { type: "section", text: { type: "mrkdwn", text: "*Shipped* to <https://shop.example|production>" }, fields: [{ type: "mrkdwn", text: "*By:* ana" }] },
        { type: "divider" },
        {
          type: "context",
          elements: [
            { type: "mrkdwn", text: "build 812" },
            { type: "image", image_url: "x", alt_text: "y" },
          ],
        },
      ],
    };
    expect((await post(hook.url, JSON.stringify(blocks))).status).toBe(200);
    expect((await lastMessage())[0]).toMatchObject({
      message: "Release 2.4\n*Shipped* to production (https://shop.example)\n*By:* ana\nbuild 812",
      sender_display_name: null,
    });
  });

  test("odd input answers Slack's codes in text/plain, never a 500", async () => {
    const cases: [string, string, number, string][] = [
      ["{bad json", "application/json", 400, "invalid_payload"],
      ["[1,2]", "application/json", 400, "invalid_payload"],
      ['"text"', "application/json", 400, "invalid_payload"],
      ["null", "application/json", 400, "invalid_payload"],
      ['{"text": 5}', "application/json", 400, "invalid_payload"],
      ['{"text": "   "}', "application/json", 400, "no_text"],
      ["{}", "application/json", 400, "no_text"],
      ['{"attachments": [null, 3, {"color": "good"}]}', "application/json", 400, "no_text"],
      ['{"attachments": {"a": 1}}', "application/json", 400, "invalid_payload"],
      ['{"blocks": [{"type": "section", "text": null}], "text": ""}', "application/json", 400, "no_text"],
      ["payload=%7Bnot", "application/x-www-form-urlencoded", 400, "invalid_payload"],
      ["other=1", "application/x-www-form-urlencoded", 400, "invalid_payload"],
      ["", "", 400, "invalid_payload"],
      ['{"text": "nul\\u0000"}', "application/json", 200, "ok"],
    ];
    for (const [body, type, status, answer] of cases) {
      const response = await post(hook.url, body, type);
      expect([body, response.status, await response.text()]).toEqual([body, status, answer]);
    }
    const long = await post(hook.url, JSON.stringify({ text: "x".repeat(10_001) }));
    expect([long.status, await long.text()]).toEqual([413, "msg_too_long"]);
    const wrong = await post(`${server.url}/hooks/${hook.id}/${"A".repeat(43)}`, '{"text": "hi"}');
    expect([wrong.status, await wrong.text()]).toEqual([404, "no_service"]);
    const unknown = await post(`${server.url}/hooks/999999/${"A".repeat(43)}`, '{"text": "hi"}');
    expect([unknown.status, await unknown.text()]).toEqual([404, "no_service"]);
  });

  test("rename, rotate (the old URL stops working), delete (its bot is deactivated, its messages stay)", async () => {
    const made = (await api("POST", `/api/conversations/${group.id}/webhooks/`, { token: owner.access, body: { name: "CI" } })).body;
    expect((await post(made.url, '{"text": "first"}')).status).toBe(200);
    const renamed = await api("PATCH", `/api/conversations/${group.id}/webhooks/${made.id}/`, { token: owner.access, body: { name: "Builds" } });
    expect(renamed.body.name).toBe("Builds");
    const rotated = (await api("POST", `/api/conversations/${group.id}/webhooks/${made.id}/rotate/`, { token: owner.access })).body;
    expect(rotated.url).not.toBe(made.url);
    expect((await post(made.url, '{"text": "old"}')).status).toBe(404);
    expect((await post(rotated.url, '{"text": "new"}')).status).toBe(200);
    expect((await api("DELETE", `/api/conversations/${group.id}/webhooks/${made.id}/`, { token: member.access })).status).toBe(403);
    expect((await api("DELETE", `/api/conversations/${group.id}/webhooks/${made.id}/`, { token: owner.access })).status).toBe(204);
    expect((await post(rotated.url, '{"text": "gone"}')).status).toBe(404);
    expect(await queryRows(parley, "SELECT is_active FROM users WHERE id = ?", [made.bot.id])).toEqual([{ is_active: 0 }]);
    expect((await lastMessage())[0].message).toBe("new");
  });

  test("a direct conversation with a bot: either side makes webhooks, posting as that bot; with a person: 403", async () => {
    const bot = (await api("POST", "/api/admin/bots/", { token: staff.access, body: { username: `helper-${process.pid}`, display_name: "Helper" } })).body;
    const direct = (await api("POST", "/api/conversations/direct/", { token: member.access, body: { user_id: bot.id } })).body.id;
    const made = await api("POST", `/api/conversations/${direct}/webhooks/`, { token: member.access, body: { name: "mine" } });
    expect(made.status).toBe(201);
    expect(made.body.bot.id).toBe(bot.id);
    expect((await post(made.body.url, '{"text": "hello from the bot"}')).status).toBe(200);
    const history = (await api("GET", `/api/messages/${direct}/?limit=1`, { token: member.access })).body;
    expect(history[0]).toMatchObject({ sender: bot.id, message: "hello from the bot", via_webhook: true });
    const people = await directWith(api, owner, member);
    expect((await api("POST", `/api/conversations/${people}/webhooks/`, { token: owner.access, body: { name: "x" } })).status).toBe(403);
  });

  test("a webhook's own rate limit answers 429 with Retry-After", async () => {
    const limited = await listen({ limitWebhook: { capacity: 2, periodMs: 60_000 } });
    const boss = await registerUser(limited.api, "boss");
    const g = await createGroup(limited.api, boss);
    const { url } = (await limited.api("POST", `/api/conversations/${g.id}/webhooks/`, { token: boss.access, body: { name: "n" } })).body;
    expect((await post(url, '{"text": "1"}')).status).toBe(200);
    expect((await post(url, '{"text": "2"}')).status).toBe(200);
    const refused = await post(url, '{"text": "3"}');
    expect([refused.status, await refused.text()]).toEqual([429, "rate_limited"]);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});
