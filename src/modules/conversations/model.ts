import { t } from "elysia";
import { pathId } from "../../lib/schemas";
import { messageView } from "../messages/model";

export const groupIdParams = t.Object({ group_id: pathId("A group id") });

export const createGroupBody = t.Object({
  name: t.String({ maxLength: 100, error: "Give the group a name of at most 100 characters." }),
  members: t.Optional(
    t.Union([t.Array(t.Union([t.Integer(), t.String({ maxLength: 20 })]), { maxItems: 1000 }), t.String({ maxLength: 20_000 }), t.Integer()], {
      error: "Give members as a list of user ids, e.g. [1, 2].",
    }),
  ),
});

export const directBody = t.Object({ user_id: t.Numeric({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "Give a user id." }) });

export const groupView = t.Object({
  id: t.Integer(),
  name: t.String(),
  members: t.Array(t.Integer(), { description: "Member user ids" }),
  created_by: t.Nullable(t.Integer()),
  created_at: t.String({ format: "date-time" }),
});

export const directoryQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 100, error: "q must be at most 100 characters." })),
  before: t.Optional(t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "before must be a group id." })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, error: "limit must be from 1 to 100." })),
});
export type DirectoryQuery = typeof directoryQuery.static;

export const directoryEntry = t.Object({
  id: t.Integer(),
  name: t.String(),
  member_count: t.Integer(),
  is_member: t.Boolean({ description: "Whether the caller is a member" }),
  created_at: t.String({ format: "date-time" }),
});

export const conversationView = t.Object({
  id: t.Integer(),
  kind: t.Union([t.Literal("group"), t.Literal("direct")]),
  name: t.String(),
  members: t.Array(
    t.Object({
      id: t.Integer(),
      username: t.String(),
      first_name: t.String(),
      last_name: t.String(),
      role: t.String(),
      last_read_message_id: t.Nullable(t.Integer({ description: "The member's read marker: the newest message they have read" })),
    }),
  ),
  last_message: t.Nullable(messageView),
  created_at: t.String({ format: "date-time" }),
});

export const messageResponse = t.Object({ message: t.String() });
