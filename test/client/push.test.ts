// The typed client's Web Push calls against a real server: the key, subscribing, unsubscribing, and refusals as ParleyError.
import { describe, expect, test } from "bun:test";
import { ParleyClient, ParleyError } from "../../src/client";
import { checkedFetch, listen, queryRows, registerUser } from "../helpers";
import { browserSubscription } from "../push/push-service";
import { loggedIn } from "./client-helpers";

describe("parley/client Web Push", async () => {
  const { server, api } = await listen();
  const user = await registerUser(api, "pusher");

  test("pushKey (no login), subscribePush, unsubscribePush", async () => {
    const anonymous = new ParleyClient({ baseUrl: server.url, fetch: checkedFetch });
    const { public_key } = await anonymous.pushKey();
    expect(Buffer.from(public_key, "base64url").length).toBe(65);
    const client = await loggedIn(server.url, user);
    const { endpoint, keys } = await browserSubscription("https://push.example.org/send/abc");
    const saved = await client.subscribePush({ endpoint, keys, expirationTime: null });
    expect(saved.id).toBeGreaterThan(0);
    expect(await queryRows(server.parley, "SELECT endpoint FROM push_subscriptions WHERE user_id = ?", [user.id])).toEqual([{ endpoint }]);
    expect(await client.unsubscribePush(endpoint)).toBeNull();
    expect(await queryRows(server.parley, "SELECT endpoint FROM push_subscriptions WHERE user_id = ?", [user.id])).toEqual([]);
  });

  test("a refused subscription is a ParleyError naming the field", async () => {
    const client = await loggedIn(server.url, user);
    const { keys } = await browserSubscription("https://push.example.org/x");
    const error = await client.subscribePush({ endpoint: "http://push.example.org/x", keys }).catch((e) => e);
    expect(error).toBeInstanceOf(ParleyError);
    expect(error.status).toBe(400);
    expect(error.fields).toHaveProperty("endpoint");
  });
});
