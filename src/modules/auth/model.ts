import { t } from "elysia";

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
