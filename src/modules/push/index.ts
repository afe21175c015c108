// Web Push: the server's key for subscribing, and each browser's subscription (see service.ts, sender.ts).
import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { requireUser } from "../auth/plugin";
import { PushKey, PushSubscription, subscribeBody, unsubscribeBody } from "./model";
import { MAX_SUBSCRIPTIONS_PER_USER, subscribe, unsubscribe } from "./service";

const security = [{ bearerAuth: [] }];

export const pushRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/push", tags: ["Web Push"] })
    .get("/key/", () => ({ public_key: ctx.push.publicKey }), {
      response: PushKey,
      detail: {
        summary: "The server's VAPID public key",
        description: "Give it to `pushManager.subscribe` as `applicationServerKey`. The same on every node, kept across restarts.",
      },
    })
    .use(requireUser(ctx))
    .post(
      "/subscriptions/",
      async ({ user, body, set }) => {
        const { view, created } = await subscribe(ctx, user, body);
        set.status = created ? 201 : 200;
        return view;
      },
      {
        body: subscribeBody,
        response: { 201: PushSubscription, 200: PushSubscription },
        detail: {
          summary: "Subscribe this browser to Web Push",
          description: `The body is the browser's \`PushSubscription.toJSON()\`. New: 201; the same endpoint again (renewed keys, or another account on the same browser, which takes it over): 200. Each account keeps its newest ${MAX_SUBSCRIPTIONS_PER_USER} subscriptions; an eleventh replaces the oldest. The endpoint must be https. Parley pushes a direct message or a mention while the account has no open WebSocket, until the push service says the subscription is gone, or the account's sessions end (log out everywhere, a new password).`,
          security,
        },
      },
    )
    .delete(
      "/subscriptions/",
      async ({ user, body, set }) => {
        await unsubscribe(ctx, user, body.endpoint);
        set.status = 204;
      },
      {
        body: unsubscribeBody,
        response: { 204: t.Void() },
        detail: {
          summary: "Unsubscribe a browser from Web Push",
          description: "Your subscription with this endpoint goes; none such: 204 all the same.",
          security,
        },
      },
    );
