// Access and refresh tokens: HS256 JWTs shaped as the original's simplejwt ones ({token_type, exp, iat, jti, user_id}).
import { jwt } from "@elysiajs/jwt";
import { randomUUIDv7 } from "bun";

export type TokenType = "access" | "refresh";

export interface TokenClaims {
  token_type: TokenType;
  user_id: number;
  jti: string;
  exp: number;
  iat: number;
  /** The user's token generation when issued; a bump of it ends every older token. */
  gen: number;
}

export interface Tokens {
  issue(type: TokenType, userId: number, generation: number): Promise<{ token: string; claims: TokenClaims }>;
  /** The claims of a validly signed, unexpired HS256 token of that type; null for anything else. */
  verify(token: string, type: TokenType): Promise<TokenClaims | null>;
}

export function createTokens(secret: string, ttlMs: Record<TokenType, number>): Tokens {
  const signer = jwt({ secret, alg: "HS256" }).decorator.jwt;
  return {
    async issue(type, userId, generation) {
      const iat = Math.floor(Date.now() / 1000);
      const claims: TokenClaims = { token_type: type, user_id: userId, jti: randomUUIDv7(), iat, exp: iat + Math.ceil(ttlMs[type] / 1000), gen: generation };
      const { iat: _, ...signed } = claims; // the signer stamps iat itself
      return { token: await signer.sign(signed), claims };
    },
    async verify(token, type) {
      // Pinning the algorithm refuses `alg: none` and tokens signed with another HMAC size.
      const claims = (await signer.verify(token, { algorithms: ["HS256"] })) as Partial<TokenClaims> | false;
      if (!claims || claims.token_type !== type) return null;
      if (typeof claims.user_id !== "number" || typeof claims.jti !== "string" || typeof claims.exp !== "number") return null;
      return { ...claims, gen: claims.gen ?? 0 } as TokenClaims;
    },
  };
}
