import { t } from "elysia";
import { pathId } from "../../lib/schemas";
import { Message } from "../messages/model";

export const groupIdParams = t.Object({ group_id: pathId("A group id") });

const groupName = () => t.String({ maxLength: 100, error: "Give the group a name of at most 100 characters." });
// BooleanString: JSON true/false, or "true"/"false" from a form.
const privateFlag = () =>
  t.BooleanString({ description: "Private: joined only by being added by an owner or admin. Default: open.", error: "private must be true or false." });

export const createGroupBody = t.Object({
  name: groupName(),
  private: t.Optional(privateFlag()),
  members: t.Optional(
    t.Union([t.Array(t.Union([t.Integer(), t.String({ maxLength: 20 })]), { maxItems: 1000 }), t.String({ maxLength: 20_000 }), t.Integer()], {
      error: "Give members as a list of user ids, e.g. [1, 2].",
    }),
  ),
});

// At least one field: Elysia turns a non-object body ([], "x") into {} for an all-optional schema, and that must not pass.
const retentionDays = t.Nullable(
  t.Integer({
    minimum: 1,
    maximum: 36_500,
    description: "Delete this group's messages after this many days (null: the server's PARLEY_MESSAGE_RETENTION; the shorter of the two applies).",
    error: "retention_days must be a whole number of days from 1 to 36500, or null.",
  }),
);
export const groupUpdateBody = t.Object(
  { name: t.Optional(groupName()), private: t.Optional(privateFlag()), retention_days: t.Optional(retentionDays) },
  { minProperties: 1, error: "Give name, private and/or retention_days." },
);

export const memberParams = t.Object({ group_id: pathId("A group id"), user_id: pathId("A member's user id") });

export const addMemberBody = t.Object({ user_id: t.Numeric({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "Give a user id." }) });

export const roleBody = t.Object({
  role: t.Union([t.Literal("owner"), t.Literal("admin"), t.Literal("member")], { error: "role must be one of: owner, admin, member." }),
});

export const directBody = t.Object({ user_id: t.Numeric({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "Give a user id." }) });

const role = t.Union([t.Literal("owner"), t.Literal("admin"), t.Literal("member")]);

export const Group = t.Object(
  {
    id: t.Integer(),
    name: t.String(),
    members: t.Array(t.Integer(), { description: "Member user ids" }),
    created_by: t.Nullable(t.Integer()),
    created_at: t.String({ format: "date-time" }),
    private: t.Boolean(),
    retention_days: retentionDays,
    roles: t.Array(t.Object({ user_id: t.Integer(), role }), { description: "Each member's role (owner, admin or member), in the order of `members`" }),
  },
  { title: "Group" },
);
export type GroupView = typeof Group.static;

const readStateFields = {
  last_read_message_id: t.Nullable(t.Integer()),
  unread_count: t.Integer({ description: "Messages from others after the last-read one (tombstones excluded)." }),
  mention_count: t.Integer({ description: "Unread messages that mention the caller; counted even when muted." }),
  muted: t.Boolean(),
  notification_count: t.Integer({ description: "What to badge: unread_count, or only mention_count while muted." }),
};
export const ReadState = t.Object({ conversation_id: t.Integer(), ...readStateFields }, { title: "ReadState" });
export type ReadState = typeof ReadState.static;
export const conversationParams = t.Object({ conversation_id: pathId("A conversation id") });
export const readBody = t.Object({ message_id: t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "Give the id of the last message read." }) });

export const directoryQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 100, error: "q must be at most 100 characters." })),
  before: t.Optional(t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "before must be a group id." })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, error: "limit must be from 1 to 100." })),
});
export type DirectoryQuery = typeof directoryQuery.static;

export const DirectoryEntry = t.Object(
  {
    id: t.Integer(),
    name: t.String(),
    member_count: t.Integer(),
    is_member: t.Boolean({ description: "Whether the caller is a member" }),
    created_at: t.String({ format: "date-time" }),
  },
  { title: "DirectoryEntry" },
);
export type DirectoryEntry = typeof DirectoryEntry.static;

const conversationMember = t.Object(
  {
    id: t.Integer(),
    username: t.String(),
    first_name: t.String(),
    last_name: t.String(),
    is_bot: t.Boolean(),
    role: t.String(),
    last_read_message_id: t.Nullable(t.Integer({ description: "The member's read marker: the newest message they have read" })),
  },
  { title: "ConversationMember" },
);

export const Conversation = t.Object(
  {
    id: t.Integer(),
    kind: t.Union([t.Literal("group"), t.Literal("direct")]),
    name: t.String({ description: "The group's name, or the other user's username for a direct conversation." }),
    members: t.Array(conversationMember, {
      description: "Group members; for a direct conversation, the other user (the caller themself when talking to themself).",
    }),
    last_message: t.Nullable(Message),
    created_at: t.String({ format: "date-time" }),
    ...readStateFields,
  },
  { title: "Conversation" },
);
export type ConversationView = typeof Conversation.static;

export const messageResponse = t.Object({ message: t.String() });

// What the membership, group and read events carry in `data` (unread and mute carry a ReadState).
const memberRole = t.Union([t.Literal("owner"), t.Literal("admin"), t.Literal("member")]);
export const memberJoinedEvent = t.Object({
  user_id: t.Integer(),
  role: memberRole,
  kind: t.Union([t.Literal("group"), t.Literal("direct")]),
  name: t.Nullable(t.String(), { description: "The group's name; null for a direct conversation." }),
  added_by: t.Optional(t.Integer({ description: "The owner or admin who added the member (absent when they joined or created it)." })),
});
export const memberLeftEvent = t.Object({
  user_id: t.Integer(),
  username: t.String(),
  removed_by: t.Optional(t.Integer({ description: "Who removed the member (absent when they left)." })),
});
export const memberUpdatedEvent = t.Object({ user_id: t.Integer(), role: memberRole, previous_role: memberRole, updated_by: t.Integer() });
export const conversationUpdatedEvent = t.Object({
  id: t.Integer(),
  name: t.String(),
  private: t.Boolean(),
  retention_days: t.Nullable(t.Integer()),
  updated_by: t.Integer(),
});
export const readEvent = t.Object({ user_id: t.Integer(), message_id: t.Integer({ description: "The newest message the member has read." }) });
