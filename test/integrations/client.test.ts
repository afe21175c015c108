// The typed client's integration methods against a real server, each called once: API tokens, bots and their
// tokens, incoming and outgoing webhooks, the delivery log and a retry.
import { describe, expect, test } from "bun:test";
import { makeStaff, waitFor } from "../chat-helpers";
import { listen, registerUser } from "../helpers";
import { loggedIn } from "../client/client-helpers";

describe("parley/client integrations", async () => {
  const { server, api } = await listen({ webhookAllowPrivate: true, webhookRetryMs: 50 });
  const [alice, staff] = [await registerUser(api, "alice"), await registerUser(api, "staff")];
  await makeStaff(server.parley, staff.id);

  test("tokens, bots, bot tokens", async () => {
    const client = await loggedIn(server.url, alice);
    const created = await client.createToken({ name: "ci", scopes: ["read"] });
    expect(created.token).toStartWith("parley_");
    expect((await client.tokens()).map((t) => t.id)).toEqual([created.id]);
    await client.revokeToken(created.id);
    expect(await client.tokens()).toEqual([]);
    const admin = await loggedIn(server.url, staff);
    const bot = await admin.createBot(`client-bot-${process.pid}`, "Client bot");
    expect(bot.is_bot).toBe(true);
    expect((await admin.bots()).map((b) => b.id)).toContain(bot.id);
    const botToken = await admin.createBotToken(bot.id, { name: "b", scopes: ["read", "write"] });
    expect((await admin.botTokens(bot.id)).map((t) => t.id)).toEqual([botToken.id]);
    await admin.revokeBotToken(bot.id, botToken.id);
    expect(await admin.botTokens(bot.id)).toEqual([]);
  });

  test("incoming and outgoing webhooks, deliveries, retry", async () => {
    const client = await loggedIn(server.url, alice);
    const group = await client.createGroup(`hooks-${process.pid}`, []);
    const hook = await client.createWebhook(group.id, "Alerts");
    expect((await client.webhooks(group.id)).map((w) => w.id)).toEqual([hook.id]);
    expect((await client.renameWebhook(group.id, hook.id, "Pager")).name).toBe("Pager");
    const rotated = await client.rotateWebhook(group.id, hook.id);
    expect(rotated.url).not.toBe(hook.url);

    let fail = true;
    const sink = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("", { status: fail ? 500 : 204 }) });
    try {
      const out = await client.createOutgoingWebhook(group.id, { url: `http://127.0.0.1:${sink.port}/`, events: ["message.created"] });
      expect(out.secret.length).toBeGreaterThan(20);
      expect((await client.outgoingWebhooks(group.id)).map((w) => w.id)).toEqual([out.id]);
      expect((await fetch(rotated.url, { method: "POST", body: '{"text": "from a tool"}' })).status).toBe(200);
      expect(await waitFor(async () => ((await client.webhookDeliveries(group.id, out.id))[0]?.attempts ?? 0) >= 1)).toBe(true);
      fail = false;
      const [delivery] = await client.webhookDeliveries(group.id, out.id);
      await client.retryDelivery(group.id, out.id, delivery!.id);
      expect(await waitFor(async () => (await client.webhookDeliveries(group.id, out.id))[0]?.status === "delivered")).toBe(true);
      await client.deleteOutgoingWebhook(group.id, out.id);
      expect(await client.outgoingWebhooks(group.id)).toEqual([]);
    } finally {
      sink.stop(true);
    }
    await client.deleteWebhook(group.id, hook.id);
    expect(await client.webhooks(group.id)).toEqual([]);
  });
});
