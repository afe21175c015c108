// `user` for every route registered after `.use(requireUser(ctx))`, or 401 before the body is even validated.
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { notAuthenticated } from "../../lib/errors";
import { requireScope, scopeForRequest } from "./scopes";
import { authenticate } from "./service";

export const requireUser = (ctx: AppContext) =>
  new Elysia()
    // A body is parsed before `derive` runs: an anonymous caller with a malformed body still gets its 401 first.
    .onParse({ as: "scoped" }, ({ request }) => {
      if (!request.headers.get("authorization")) notAuthenticated();
    })
    // Each route's scope comes from its method and path, in one place (scopes.ts).
    .derive({ as: "scoped" }, async ({ request, path }) => {
      const user = await authenticate(ctx, request.headers.get("authorization"), { reuse: true });
      requireScope(user.scopes, scopeForRequest(request.method, path));
      return { user };
    });
