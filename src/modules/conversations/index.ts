import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { jsonText } from "../../lib/http";
import { requireUser } from "../auth/plugin";
import { Message } from "../messages/model";
import { listPins } from "../messages/pins";
import * as groups from "./group-admin";
import {
  addMemberBody,
  Conversation,
  conversationParams,
  createGroupBody,
  directBody,
  DirectoryEntry,
  directoryQuery,
  Group,
  groupIdParams,
  groupUpdateBody,
  memberParams,
  messageResponse,
  readBody,
  ReadState,
  roleBody,
} from "./model";
import { markRead, setMuted } from "./read-state";
import * as conversations from "./service";

const security = [{ bearerAuth: [] }];

export const conversationRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api" })
    .use(requireUser(ctx))
    .post(
      "/groups/create/",
      async ({ user, body, set }) => {
        set.status = 201;
        return conversations.createGroup(ctx, user, body.name, body.members, body.private);
      },
      {
        body: createGroupBody,
        response: { 201: Group },
        detail: {
          tags: ["Groups"],
          summary: "Create a group",
          description: 'The creator becomes its owner. `members`: user ids, as a list or as the text "[1, 2]". `private: true` makes it invite-only.',
          security,
        },
      },
    )
    .get("/groups/", ({ user }) => conversations.listMyGroups(ctx, user), {
      response: t.Array(Group),
      detail: { tags: ["Groups"], summary: "The caller's groups", security },
    })
    .get("/groups/directory/", ({ user, query }) => conversations.groupDirectory(ctx, user, query), {
      query: directoryQuery,
      response: t.Array(DirectoryEntry),
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
      {
        params: groupIdParams,
        response: { 200: messageResponse, ...errorResponses(403) },
        detail: {
          tags: ["Groups"],
          summary: "Join a group (idempotent)",
          description: "A private group answers 403: its owners and admins add members.",
          security,
        },
      },
    )
    .post(
      "/groups/:group_id/leave/",
      async ({ user, params }) => {
        await conversations.leaveGroup(ctx, user, params.group_id);
        return { message: "Left the group successfully." };
      },
      {
        params: groupIdParams,
        response: { 200: messageResponse, ...errorResponses(409) },
        detail: {
          tags: ["Groups"],
          summary: "Leave a group",
          description: "The last owner cannot leave while others remain (409): make another member owner first.",
          security,
        },
      },
    )
    .patch("/groups/:group_id/", ({ user, params, body }) => groups.updateGroup(ctx, user, params.group_id, body), {
      params: groupIdParams,
      body: groupUpdateBody,
      response: { 200: Group, ...errorResponses(403) },
      detail: {
        tags: ["Groups"],
        summary: "Rename a group, or make it private or open",
        description: "Owners, admins and staff. Announced as `conversation.updated`.",
        security,
      },
    })
    .post(
      "/groups/:group_id/members/",
      async ({ user, params, body, set }) => {
        const { view, added } = await groups.addMember(ctx, user, params.group_id, body.user_id);
        set.status = added ? 201 : 200;
        return view;
      },
      {
        params: groupIdParams,
        body: addMemberBody,
        response: { 200: Group, 201: Group, ...errorResponses(403) },
        detail: {
          tags: ["Groups"],
          summary: "Add a member (201; 200 if already a member)",
          description: "Owners, admins and staff; the way into a private group. Announced as `member.joined`.",
          security,
        },
      },
    )
    .patch("/groups/:group_id/members/:user_id/", ({ user, params, body }) => groups.changeRole(ctx, user, params.group_id, params.user_id, body.role), {
      params: memberParams,
      body: roleBody,
      response: { 200: Group, ...errorResponses(403, 409) },
      detail: {
        tags: ["Groups"],
        summary: "Change a member's role (owner, admin, member)",
        description:
          "Owners and admins act on members ranked below them and grant at most their own role; anyone may lower their own role; staff may do anything. The last owner cannot be demoted (409). Announced as `member.updated`.",
        security,
      },
    })
    .delete("/groups/:group_id/members/:user_id/", ({ user, params }) => groups.removeMember(ctx, user, params.group_id, params.user_id), {
      params: memberParams,
      response: { 200: Group, ...errorResponses(403, 409) },
      detail: {
        tags: ["Groups"],
        summary: "Remove a member (or yourself: leave)",
        description:
          "Admins remove members, owners also admins, staff anyone. The last owner cannot be removed while others remain (409). Announced as `member.left`.",
        security,
      },
    })
    .get("/conversations/", async ({ user, set }) => jsonText(set, await conversations.listConversationsJson(ctx, user)), {
      response: t.Array(Conversation),
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
        response: { 200: Conversation, 201: Conversation, ...errorResponses(404) },
        detail: { tags: ["Conversations"], summary: "The direct conversation with a user, created on first use (201)", security },
      },
    )
    .get("/conversations/:conversation_id/pins/", ({ user, params }) => listPins(ctx, user, params.conversation_id), {
      params: conversationParams,
      response: { 200: t.Array(Message), ...errorResponses(403) },
      detail: { tags: ["Conversations"], summary: "The conversation's pinned messages, most recently pinned first", security },
    })
    .post("/conversations/:conversation_id/read/", ({ user, params, body }) => markRead(ctx, user, params.conversation_id, body.message_id), {
      params: conversationParams,
      body: readBody,
      response: { 200: ReadState, ...errorResponses(403) },
      detail: {
        tags: ["Conversations"],
        summary: "Mark messages read up to message_id (the marker only moves forward)",
        description: "Other members get `read`; the caller's own sockets get the new counts as `unread`.",
        security,
      },
    })
    .post("/conversations/:conversation_id/mute/", ({ user, params }) => setMuted(ctx, user, params.conversation_id, true), {
      params: conversationParams,
      response: { 200: ReadState, ...errorResponses(403) },
      detail: { tags: ["Conversations"], summary: "Mute: unread messages stop counting as notifications (mentions still do)", security },
    })
    .delete("/conversations/:conversation_id/mute/", ({ user, params }) => setMuted(ctx, user, params.conversation_id, false), {
      params: conversationParams,
      response: { 200: ReadState, ...errorResponses(403) },
      detail: { tags: ["Conversations"], summary: "Unmute", security },
    });
