// `user` for every route registered after `.use(requireUser(ctx))`, or 401 before the body is even validated.
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { notAuthenticated } from "../../lib/errors";
import { authenticate } from "./service";

export const requireUser = (ctx: AppContext) =>
  new Elysia()
    // A body is parsed before `derive` runs: an anonymous caller with a malformed body still gets its 401 first.
    .onParse({ as: "scoped" }, ({ request }) => {
      if (!request.headers.get("authorization")) notAuthenticated();
    })
    .derive({ as: "scoped" }, async ({ headers }) => ({ user: await authenticate(ctx, headers.authorization) }));
