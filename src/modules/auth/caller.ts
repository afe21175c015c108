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
