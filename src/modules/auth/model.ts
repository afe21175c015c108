import { t } from "elysia";
import { pathId } from "../../lib/schemas";

export const loginBody = t.Object({
  email: t.String({ minLength: 1, maxLength: 254, error: "Enter an email address." }),
  password: t.String({ minLength: 1, maxLength: 1024, error: "Enter the password." }),
});
export const refreshBody = t.Object({ refresh: t.String({ minLength: 1, maxLength: 4096, error: "Refresh token is required" }) });

export const loginResponse = t.Object({ refresh: t.String(), access: t.String(), email: t.String(), name: t.String(), id: t.Integer() });
export type LoginResult = typeof loginResponse.static;
export const tokenPair = t.Object({ access: t.String(), refresh: t.String() });
export const messageResponse = t.Object({ message: t.String() });
export const protectedResponse = t.Object({ message: t.String(), email: t.String() });
export const wsTicket = t.Object({
  ticket: t.String({ description: "Give it as /ws?ticket=… (or /ws/chat/{id}/?ticket=…) within expires_in seconds; it works once." }),
  expires_in: t.Integer({ description: "Seconds the ticket stays valid: 30 (less when the access token expires sooner)." }),
});

const scope = t.Union([t.Literal("read"), t.Literal("write"), t.Literal("admin")]);
export const ApiToken = t.Object(
  {
    id: t.Integer(),
    name: t.String(),
    scopes: t.Array(scope),
    created_at: t.String({ format: "date-time" }),
    expires_at: t.Nullable(t.String({ format: "date-time", description: "Null: never expires." })),
    last_used_at: t.Nullable(t.String({ format: "date-time", description: "Recorded at most once a minute." })),
  },
  { title: "ApiToken" },
);
export const ApiTokenCreated = t.Object(
  {
    ...ApiToken.properties,
    token: t.String({ description: "The token itself (`parley_…`), shown this once: only its hash is kept. Send it as `Authorization: Bearer …`." }),
  },
  { title: "ApiTokenCreated" },
);
export const newApiTokenBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 100, error: "Give the token a name (up to 100 characters)." }),
  scopes: t.Array(scope, { minItems: 1, maxItems: 3, error: "scopes: one or more of read, write, admin." }),
  expires_at: t.Optional(
    t.Nullable(t.String({ format: "date-time", error: "expires_at must be an ISO 8601 date-time.", description: "Absent or null: never expires." })),
  ),
});
export const tokenIdParams = t.Object({ token_id: pathId("A token id") });
