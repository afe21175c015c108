import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { requireUser } from "../auth/plugin";
import { conversationView, createGroupBody, directBody, directoryEntry, directoryQuery, groupIdParams, groupView, messageResponse } from "./model";
import * as conversations from "./service";

const security = [{ bearerAuth: [] }];

export const conversationRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api" })
    .use(requireUser(ctx))
    .post(
      "/groups/create/",
      async ({ user, body, set }) => {
        set.status = 201;
        return conversations.createGroup(ctx, user, body.name, body.members);
      },
      {
        body: createGroupBody,
        response: { 201: groupView },
        detail: { tags: ["Groups"], summary: "Create a group", description: "The creator becomes its owner. `members`: user ids, as a list or as the text \"[1, 2]\".", security },
      },
    )
    .get("/groups/", ({ user }) => conversations.listMyGroups(ctx, user), {
      response: t.Array(groupView),
      detail: { tags: ["Groups"], summary: "The caller's groups", security },
    })
    .get("/groups/directory/", ({ user, query }) => conversations.groupDirectory(ctx, user, query), {
      query: directoryQuery,
      response: t.Array(directoryEntry),
      detail: {
        tags: ["Groups"],
        summary: "Every group, to find one to join",
        description: "Newest first, with member counts and whether the caller is a member. `q` matches the start of the name; `before` is a group id cursor.",
        security,
      },
    })
    .post(
      "/groups/:group_id/join/",
      async ({ user, params }) => {
        await conversations.joinGroup(ctx, user, params.group_id);
        return { message: "Joined the group successfully." };
      },
      { params: groupIdParams, response: messageResponse, detail: { tags: ["Groups"], summary: "Join a group (idempotent)", security } },
    )
    .post(
      "/groups/:group_id/leave/",
      async ({ user, params }) => {
        await conversations.leaveGroup(ctx, user, params.group_id);
        return { message: "Left the group successfully." };
      },
      { params: groupIdParams, response: messageResponse, detail: { tags: ["Groups"], summary: "Leave a group", security } },
    )
    .get("/conversations/", ({ user }) => conversations.listConversations(ctx, user), {
      response: t.Array(conversationView),
      detail: { tags: ["Conversations"], summary: "The caller's conversations, most recently active first", security },
    })
    .post(
      "/conversations/direct/",
      async ({ user, body, set }) => {
        const { view, created } = await conversations.directConversation(ctx, user, body.user_id);
        set.status = created ? 201 : 200;
        return view;
      },
      {
        body: directBody,
        response: { 200: conversationView, 201: conversationView },
        detail: { tags: ["Conversations"], summary: "The direct conversation with a user, created on first use (201)", security },
      },
    );
