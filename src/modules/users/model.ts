import { t } from "elysia";
import { pathId } from "../../lib/schemas";

// Django's username rule, which the original used: letters, digits and @ . + - _ (TypeBox patterns have no
// Unicode classes, so the character check is USERNAME_PATTERN, applied by the service).
export const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u;
export const USERNAME_RULE = "Enter a valid username: up to 150 letters, digits and @/./+/-/_ characters.";
const username = t.String({ minLength: 1, maxLength: 150, error: USERNAME_RULE });
const email = t.String({ maxLength: 254, pattern: "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$", error: "Enter a valid email address." });
const password = t.String({ minLength: 8, maxLength: 1024, error: "This password is too short. It must contain at least 8 characters." });
const name = t.String({ maxLength: 150, error: "Ensure this field has no more than 150 characters." });

export const registerBody = t.Object({ username, email, password, first_name: t.Optional(name), last_name: t.Optional(name) });
export type RegisterBody = typeof registerBody.static;

const currentPassword = t.String({
  maxLength: 1024,
  error: "Enter your current password.",
  description: "Your current password: needed to change your own password or email.",
});

/** PUT replaces the whole profile (all five fields); PATCH changes any of them. */
export const replaceUserBody = t.Object({ username, email, password, first_name: name, last_name: name, current_password: t.Optional(currentPassword) });
export const patchUserBody = t.Partial(replaceUserBody);
export type UserChanges = typeof patchUserBody.static;

export const lookupQuery = t.Object({ username: t.String({ minLength: 1, maxLength: 150, error: "Give a username." }) });

export const userIdParams = t.Object({ user_id: pathId("A user id") });

export const User = t.Object(
  {
    id: t.Integer(),
    username: t.String(),
    email: t.Optional(t.String({ description: "Shown only to the user themself and to staff." })),
    first_name: t.String(),
    last_name: t.String(),
    date_joined: t.String({ format: "date-time" }),
    is_bot: t.Boolean({ description: "A bot account (API tokens and webhooks; no password login)." }),
  },
  { title: "User" },
);
export type PublicUser = typeof User.static;

export const registerResponse = t.Object({ user: User, message: t.String() });
