// Password hashing: argon2id through Bun.password, at a configurable cost. Hashes imported from the original
// Django server (pbkdf2_sha256) are verified too, and replaced with argon2id at the next successful login.
import { timingSafeEqual } from "node:crypto";

export interface PasswordCost {
  memoryKib: number;
  timeCost: number;
}

export interface Passwords {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** True for a hash that is not ours (an imported Django one): replace it once the password is known. */
  needsRehash(hash: string): boolean;
}

export function createPasswords(cost: PasswordCost): Passwords {
  return {
    hash: (password) => Bun.password.hash(password, { algorithm: "argon2id", memoryCost: cost.memoryKib, timeCost: cost.timeCost }),
    async verify(password, hash) {
      if (hash.startsWith(DJANGO_PBKDF2)) return verifyDjangoPbkdf2(password, hash);
      if (!hash.startsWith("$")) return false; // other Django hashers, unusable passwords: never match
      try {
        return await Bun.password.verify(password, hash);
      } catch {
        return false; // an unreadable hash never matches
      }
    },
    needsRehash: (hash) => hash.startsWith(DJANGO_PBKDF2),
  };
}

const DJANGO_PBKDF2 = "pbkdf2_sha256$";

/** Far above any Django default (1,000,000 in Django 5.2), low enough that one login cannot hold a core for long. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** The parts of Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, or null when it is not well formed. */
export function parseDjangoPbkdf2(hash: string): { iterations: number; salt: string; digest: Buffer } | null {
  const parts = hash.split("$");
  if (parts.length !== 4 || parts[0] !== "pbkdf2_sha256" || !/^[1-9]\d{0,7}$/.test(parts[1]!) || !parts[2]) return null;
  if (Number(parts[1]) > MAX_PBKDF2_ITERATIONS) return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(parts[3]!)) return null;
  const digest = Buffer.from(parts[3]!, "base64");
  return digest.length >= 16 ? { iterations: Number(parts[1]), salt: parts[2]!, digest } : null;
}

const utf8 = new TextEncoder();

/** PBKDF2-HMAC-SHA256(password, salt as UTF-8, iterations), compared in constant time, as Django checks it. */
async function verifyDjangoPbkdf2(password: string, hash: string): Promise<boolean> {
  const parsed = parseDjangoPbkdf2(hash);
  if (!parsed) return false;
  const key = await crypto.subtle.importKey("raw", utf8.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: utf8.encode(parsed.salt), iterations: parsed.iterations },
    key,
    parsed.digest.length * 8,
  );
  return timingSafeEqual(new Uint8Array(bits), parsed.digest);
}
