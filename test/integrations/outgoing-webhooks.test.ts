// Outgoing webhooks with a real local receiver that checks every signature itself (WebCrypto, not our code): each
// event once and in order, retries after a 500, while the receiver is down and across a Parley restart, a webhook
// disabled after failing too long, refused destinations, and a bot answering through its reply.
import { afterAll, describe, expect, test } from "bun:test";
import { createGroup, makeStaff, sendText, waitFor } from "../chat-helpers";
import { httpClient, listen, queryRows, registerUser, tempDir, testConfig, type TestUser } from "../helpers";
import { startServer } from "../../src/server";
import { isPrivateAddress } from "../../src/lib/destinations";
import { connect } from "../ws-helpers";

interface Received {
  event: string;
  delivery: string;
  timestamp: string;
  signatureOk: boolean;
  timestampedOk: boolean;
  body: any;
}

const hmacHex = async (secret: string, text: string) => {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return Buffer.from(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text))).toString("hex");
};

/** A receiver on a port of its own: records what it gets, answers `answer()` (a status, and a body). */
function receiver(secret: () => string, port = 0) {
  const received: Received[] = [];
  let answer: (body: any) => { status: number; body?: string } = () => ({ status: 200 });
  const server = Bun.serve({
    port,
    hostname: "127.0.0.1",
    async fetch(request) {
      const text = await request.text();
      const timestamp = request.headers.get("x-parley-timestamp") ?? "";
      received.push({
        event: request.headers.get("x-parley-event") ?? "",
        delivery: request.headers.get("x-parley-delivery") ?? "",
        timestamp,
        signatureOk: request.headers.get("x-parley-signature") === `sha256=${await hmacHex(secret(), text)}`,
        timestampedOk: request.headers.get("x-parley-signature-timestamped") === `sha256=${await hmacHex(secret(), `${timestamp}.${text}`)}`,
        body: JSON.parse(text),
      });
      const { status, body } = answer(JSON.parse(text));
      return new Response(body ?? "", { status, headers: { "content-type": "application/json" } });
    },
  });
  return {
    server,
    received,
    url: `http://127.0.0.1:${server.port}/hook`,
    answerWith(fn: typeof answer) {
      answer = fn;
    },
  };
}

describe("outgoing webhooks", async () => {
  const { server, api } = await listen({ webhookAllowPrivate: true, webhookRetryMs: 50 });
  const parley = server.parley;
  const [owner, member] = (await Promise.all(["owner", "member"].map((n) => registerUser(api, n)))) as [TestUser, TestUser];
  let secret = "";
  const sink = receiver(() => secret);
  afterAll(() => sink.server.stop(true));
  const subscribe = async (groupId: number, body: Record<string, unknown>, user = owner) => {
    const response = await api("POST", `/api/conversations/${groupId}/outgoing-webhooks/`, { token: user.access, body });
    expect(response.status).toBe(201);
    secret = response.body.secret;
    return response.body as { id: number; secret: string };
  };

  test("every subscribed event once, in order, signed (GitHub's scheme and with the timestamp); the log lists them", async () => {
    sink.received.length = 0;
    const group = await createGroup(api, owner, [member.id]);
    const hook = await subscribe(group.id, { url: sink.url, events: ["message.created", "message.updated", "message.deleted", "member"] });
    const sent = [];
    for (const text of ["one", "two", "three"]) sent.push(await sendText(api, member, group.id, text));
    // Queued later, these would carry the edited and deleted text: an edit or delete rewrites the logged content.
    expect(await waitFor(() => sink.received.length >= 3)).toBe(true);
    expect((await api("PATCH", `/api/messages/${group.id}/${sent[1]!.id}/`, { token: member.access, body: { message: "two, edited" } })).status).toBe(200);
    expect((await api("DELETE", `/api/messages/${group.id}/${sent[2]!.id}/`, { token: member.access })).status).toBe(204);
    const carol = await registerUser(api, "carol");
    expect((await api("POST", `/api/groups/${group.id}/members/`, { token: owner.access, body: { user_id: carol.id } })).status).toBeLessThan(300);
    expect(await waitFor(() => sink.received.length >= 6)).toBe(true);
    await Bun.sleep(100); // nothing more comes
    expect(sink.received.map((r) => r.event)).toEqual([
      "message.created",
      "message.created",
      "message.created",
      "message.updated",
      "message.deleted",
      "member.joined",
    ]);
    expect(sink.received.map((r) => r.body.type)).toEqual(sink.received.map((r) => r.event));
    expect(sink.received.slice(0, 3).map((r) => r.body.data.message)).toEqual(["one", "two", "three"]);
    expect(sink.received.every((r) => r.signatureOk && r.timestampedOk)).toBe(true);
    expect(new Set(sink.received.map((r) => r.delivery)).size).toBe(6);
    const seqs = sink.received.map((r) => r.body.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(Math.abs(Number(sink.received[0]!.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const log = await api("GET", `/api/conversations/${group.id}/outgoing-webhooks/${hook.id}/deliveries/`, { token: owner.access });
    expect(log.status).toBe(200);
    expect(log.body.map((d: { status: string; attempts: number; last_status: number }) => [d.status, d.attempts, d.last_status])).toEqual(
      new Array(6).fill(["delivered", 1, 200]),
    );
    expect(log.body[0].response_ms).toBeGreaterThanOrEqual(0);
    // Managers only.
    expect((await api("GET", `/api/conversations/${group.id}/outgoing-webhooks/`, { token: member.access })).status).toBe(403);
  });

  test("a 500 is retried with backoff, and what comes after waits its turn", async () => {
    sink.received.length = 0;
    let failures = 2;
    sink.answerWith(() => (failures-- > 0 ? { status: 500 } : { status: 200 }));
    const group = await createGroup(api, owner);
    const hook = await subscribe(group.id, { url: sink.url, events: ["message.created"] });
    await sendText(api, owner, group.id, "first");
    await sendText(api, owner, group.id, "second");
    expect(await waitFor(() => sink.received.length >= 4)).toBe(true);
    expect(sink.received.map((r) => r.body.data.message)).toEqual(["first", "first", "first", "second"]);
    const log = (await api("GET", `/api/conversations/${group.id}/outgoing-webhooks/${hook.id}/deliveries/`, { token: owner.access })).body;
    expect(log.map((d: any) => [d.status, d.attempts])).toEqual([
      ["delivered", 1],
      ["delivered", 3],
    ]);
    sink.answerWith(() => ({ status: 200 }));
  });

  test("a receiver that is down is retried until it is back", async () => {
    const down = receiver(() => secret);
    const port = down.server.port;
    down.server.stop(true);
    const group = await createGroup(api, owner);
    const hook = await subscribe(group.id, { url: `http://127.0.0.1:${port}/hook`, events: ["message.created"] });
    await sendText(api, owner, group.id, "while down");
    expect(
      await waitFor(async () => {
        const log = (await api("GET", `/api/conversations/${group.id}/outgoing-webhooks/${hook.id}/deliveries/`, { token: owner.access })).body;
        return log[0]?.attempts >= 2 && log[0].last_error !== null;
      }),
    ).toBe(true);
    const back = receiver(() => secret, port);
    afterAll(() => back.server.stop(true));
    expect(await waitFor(() => back.received.length === 1, 10_000)).toBe(true);
    expect(back.received[0]!.body.data.message).toBe("while down");
  });

  test("failing past PARLEY_WEBHOOK_GIVE_UP disables the webhook and says why; a retry by hand turns it back on", async () => {
    const strict = await listen({ webhookAllowPrivate: true, webhookRetryMs: 20, webhookGiveUpMs: 300 });
    const boss = await registerUser(strict.api, "boss");
    const failing = receiver(() => secret);
    afterAll(() => failing.server.stop(true));
    failing.answerWith(() => ({ status: 503 }));
    const group = await createGroup(strict.api, boss);
    const made = await strict.api("POST", `/api/conversations/${group.id}/outgoing-webhooks/`, {
      token: boss.access,
      body: { url: failing.url, events: ["message.created"] },
    });
    secret = made.body.secret;
    const socket = await connect(strict.server.url, boss.access);
    await sendText(strict.api, boss, group.id, "doomed");
    const told = await socket.next("webhook.disabled", 10_000);
    expect(told).toMatchObject({ conversation_id: group.id, data: { webhook_id: made.body.id, url: failing.url } });
    expect(told.data.reason).toContain("HTTP 503");
    await socket.close();
    const listOf = async () => (await strict.api("GET", `/api/conversations/${group.id}/outgoing-webhooks/`, { token: boss.access })).body[0];
    expect(await waitFor(async () => (await listOf()).disabled_at !== null, 10_000)).toBe(true);
    expect((await listOf()).disabled_reason).toContain("HTTP 503");
    const log = (await strict.api("GET", `/api/conversations/${group.id}/outgoing-webhooks/${made.body.id}/deliveries/`, { token: boss.access })).body;
    expect(log[0].status).toBe("failed");
    const tries = failing.received.length;
    await sendText(strict.api, boss, group.id, "while disabled");
    await Bun.sleep(200);
    expect(failing.received.length).toBe(tries);
    failing.answerWith(() => ({ status: 200 }));
    const retried = await strict.api("POST", `/api/conversations/${group.id}/outgoing-webhooks/${made.body.id}/deliveries/${log[0].id}/retry/`, {
      token: boss.access,
    });
    expect(retried.status).toBe(200);
    expect(retried.body.disabled_at).toBeNull();
    expect(await waitFor(() => failing.received.filter((r) => r.body.data.message === "while disabled").length === 1, 10_000)).toBe(true);
  });

  test('a bot answers through its reply: {"text"} is posted as the bot, and its own messages are not sent back', async () => {
    const staff = await registerUser(api, "staff");
    await makeStaff(parley, staff.id);
    const bot = (await api("POST", "/api/admin/bots/", { token: staff.access, body: { username: `echo-${process.pid}`, display_name: "Echo" } })).body;
    const group = await createGroup(api, owner, [bot.id, member.id]);
    const bots = receiver(() => secret);
    afterAll(() => bots.server.stop(true));
    bots.answerWith((event) => ({ status: 200, body: JSON.stringify({ text: `you said: ${event.data.message}` }) }));
    await subscribe(group.id, { url: bots.url, events: ["message.mentioned"], bot_id: bot.id });
    await sendText(api, member, group.id, "no mention here");
    await sendText(api, member, group.id, `@${bot.username} ping`);
    const history = async () => (await api("GET", `/api/messages/${group.id}/?limit=5`, { token: member.access })).body;
    expect(await waitFor(async () => (await history())[0].sender === bot.id)).toBe(true);
    expect((await history())[0]).toMatchObject({ sender: bot.id, sender_is_bot: true, message: `you said: @${bot.username} ping` });
    await Bun.sleep(150);
    expect(bots.received.map((r) => r.body.data.message)).toEqual([`@${bot.username} ping`]);
  });

  test("deliveries queued survive a restart of Parley", async () => {
    const dataDir = tempDir();
    const config = testConfig({ dataDir, webhookAllowPrivate: true, webhookRetryMs: 50 });
    const first = await startServer(config);
    const firstApi = httpClient(first.url);
    const boss = await registerUser(firstApi, "restart");
    const later = receiver(() => secret);
    const port = later.server.port;
    later.server.stop(true);
    const group = await createGroup(firstApi, boss);
    const made = await firstApi("POST", `/api/conversations/${group.id}/outgoing-webhooks/`, {
      token: boss.access,
      body: { url: `http://127.0.0.1:${port}/x`, events: ["message.created"] },
    });
    secret = made.body.secret;
    await sendText(firstApi, boss, group.id, "before the restart");
    expect(await waitFor(async () => (await queryRows(first.parley, "SELECT attempts FROM webhook_deliveries"))[0]?.attempts >= 1)).toBe(true);
    await first.stop();
    const back = receiver(() => secret, port);
    afterAll(() => back.server.stop(true));
    const second = await startServer({ ...config, port: 0 });
    afterAll(() => second.stop());
    expect(await waitFor(() => back.received.length === 1, 10_000)).toBe(true);
    expect(back.received[0]!.body.data.message).toBe("before the restart");
  });
});

describe("refused destinations", async () => {
  const { api } = await listen();
  const owner = await registerUser(api, "owner");
  const group = await createGroup(api, owner);

  test("loopback, private, link-local, CGNAT, metadata, multicast, IPv6 ULA/link-local/mapped, and names resolving to them", async () => {
    for (const url of [
      "http://127.0.0.1:9/x",
      "http://localhost:9/x",
      "http://10.1.2.3/x",
      "http://172.16.0.1/x",
      "http://192.168.1.1/x",
      "http://100.64.0.1/x",
      "http://169.254.169.254/latest/meta-data/",
      "http://224.0.0.1/x",
      "http://0.0.0.0/x",
      "http://[::1]/x",
      "http://[fd00::1]/x",
      "http://[fe80::1]/x",
      "http://[::ffff:127.0.0.1]/x",
      "http://[::ffff:a9fe:a9fe]/x",
      "ftp://example.com/x",
      "http://user:pass@example.com/x",
      "not a url",
    ]) {
      const response = await api("POST", `/api/conversations/${group.id}/outgoing-webhooks/`, {
        token: owner.access,
        body: { url, events: ["message.created"] },
      });
      expect([url, response.status, Object.keys(response.body)]).toEqual([url, 400, ["url"]]);
    }
  });

  test("the address check itself", () => {
    for (const ip of [
      "127.0.0.1",
      "10.0.0.1",
      "100.127.255.255",
      "169.254.169.254",
      "::1",
      "::",
      "fc00::1",
      "fe80::abcd",
      "::ffff:10.0.0.1",
      "64:ff9b::7f00:1",
      "ff02::1",
    ])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    for (const ip of ["93.184.216.34", "1.1.1.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });
});
