import type { Scope } from "./scopes";
import type { TokenClaims } from "./tokens";

/** The authenticated caller, as every service sees it. */
export interface AuthUser {
  id: number;
  username: string;
  /** Staff powers: a staff user's login, or their API token with the `admin` scope. */
  is_staff: boolean;
  is_bot: boolean;
  /** What the credential allows (see scopes.ts): all its user may have for a login, the token's own for an API token. */
  scopes: readonly Scope[];
  /** The access token's claims, for logout (an API token's are made up from its row, with `api` its id). */
  token: TokenClaims;
}

/** A bot acting for a webhook (no token of its own): `via` names the webhook, e.g. "hook:3". */
export const botCaller = (id: number, username: string, via: string): AuthUser => ({
  id,
  username,
  is_staff: false,
  is_bot: true,
  scopes: ["write"],
  token: { token_type: "access", user_id: id, jti: via, exp: 0, iat: 0, gen: 0 },
});
