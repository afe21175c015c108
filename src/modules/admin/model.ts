import { t } from "elysia";
import { pathId } from "../../lib/schemas";

export const listQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 150, error: "q must be at most 150 characters." })),
  before: t.Optional(t.Integer({ minimum: 1, error: "before must be an id." })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, error: "limit must be from 1 to 200." })),
});
export type ListQuery = typeof listQuery.static;

export const userIdParams = t.Object({ user_id: pathId("A user id") });
export const messageIdParams = t.Object({ message_id: pathId("A message id") });

export const adminUser = t.Object(
  {
    id: t.Integer(),
    username: t.String(),
    email: t.String(),
    first_name: t.String(),
    last_name: t.String(),
    is_active: t.Boolean(),
    is_staff: t.Boolean(),
    is_superuser: t.Boolean(),
    is_bot: t.Boolean(),
    date_joined: t.String({ format: "date-time" }),
  },
  { title: "AdminUser" },
);
export type AdminUser = typeof adminUser.static;

export const adminGroup = t.Object(
  {
    id: t.Integer(),
    name: t.String(),
    member_count: t.Integer(),
    created_by: t.Nullable(t.Integer()),
    created_at: t.String({ format: "date-time" }),
  },
  { title: "AdminGroup" },
);
export type AdminGroup = typeof adminGroup.static;

export const newBotBody = t.Object({
  username: t.String({ minLength: 1, maxLength: 150, error: "Enter a valid username: up to 150 letters, digits and @/./+/-/_ characters." }),
  display_name: t.String({ minLength: 1, maxLength: 150, error: "Give a display name (up to 150 characters)." }),
});
export const botIdParams = t.Object({ bot_id: pathId("A bot's user id") });
export const botTokenParams = t.Object({ bot_id: pathId("A bot's user id"), token_id: pathId("A token id") });
