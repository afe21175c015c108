// `user` for every route registered after `.use(requireUser(ctx))`, or 401 before the body is even validated.
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { authenticate } from "./service";

export const requireUser = (ctx: AppContext) =>
  new Elysia().derive({ as: "scoped" }, async ({ headers }) => ({ user: await authenticate(ctx, headers.authorization) }));
