import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { requireUser } from "../auth/plugin";
import { searchAnswer, searchQuery } from "./model";
import { search } from "./service";

export const searchRoutes = (ctx: AppContext) =>
  new Elysia({ tags: ["Search"] }).use(requireUser(ctx)).get("/api/search/", ({ user, query }) => search(ctx, user, query), {
    query: searchQuery,
    response: { 200: searchAnswer, ...errorResponses(403, 404, 429) },
    detail: {
      summary: "Search the caller's messages",
      description:
        'Words (each also as a prefix), "quoted phrases", and any text of three or more characters inside words — Chinese, Japanese and Korean included. Only conversations the caller is a member of; `conversation_id` narrows to one. Best matches first; `next` is the cursor for `before`.',
      security: [{ bearerAuth: [] }],
    },
  });
