// Web Push on a cluster: the node that commits a message pushes it, once, and knows from Redis whether the recipient
// has a socket on another node. Needs PostgreSQL and Redis (skipped with the reason when either does not answer).
import { describe, expect, test } from "bun:test";
import { directWith, sendText, waitFor } from "../chat-helpers";
import { httpClient, listen, registerUser, tempDir } from "../helpers";
import { postgresDatabaseFor } from "../test-database";
import { postgresProblem, REDIS_URL, redisProblem, skipWithout } from "../test-services";
import { connect } from "../ws-helpers";
import { browserSubscription, decryptPush, startPushService } from "./push-service";

const skipped = skipWithout("Web Push cluster tests", (await redisProblem()) ?? postgresProblem());

describe.skipIf(skipped)("Web Push on two nodes", () => {
  test("no push while the recipient's socket is on the other node; one push, from the sending node, once it closes", async () => {
    const pushService = startPushService();
    const databaseUrl = postgresDatabaseFor(`push cluster ${tempDir()}`);
    const options = { databaseUrl, redisUrl: REDIS_URL, pushAllowHttp: true };
    const [a, b] = [await listen(options), await listen(options)];
    await waitFor(async () => (await httpClient(a.server.url)("GET", "/readyz")).body?.cluster?.nodes === 2);
    expect((await a.api("GET", "/api/push/key/")).body.public_key).toBe((await b.api("GET", "/api/push/key/")).body.public_key);

    const alice = await registerUser(a.api, "alice");
    const bob = await registerUser(a.api, "bob");
    const browser = await browserSubscription(pushService.endpoint());
    expect((await b.api("POST", "/api/push/subscriptions/", { token: bob.access, body: browser })).status).toBe(201);
    const dm = await directWith(a.api, alice, bob);
    const settled = () => Promise.all([a.server.parley.ctx.push.settled(), b.server.parley.ctx.push.settled()]);

    const socket = await connect(b.server.url, bob.access);
    const presenceOnA = a.server.parley.ctx.transport!.presence;
    expect(await waitFor(async () => (await presenceOnA.onlineAmong([bob.id])).has(bob.id))).toBe(true);
    await sendText(a.api, alice, dm, "you are on the other node");
    await socket.next((f) => f.type === "message.created");
    await settled();
    expect(pushService.to(browser.endpoint)).toEqual([]);

    await socket.close();
    expect(await waitFor(async () => (await presenceOnA.onlineAmong([bob.id])).size === 0)).toBe(true);
    await sendText(a.api, alice, dm, "and now on none");
    await settled();
    const received = pushService.to(browser.endpoint);
    expect(received.length).toBe(1);
    expect(JSON.parse(await decryptPush(browser, received[0]!.body)).excerpt).toBe("and now on none");
  });
});
