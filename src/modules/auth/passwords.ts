// Password hashing: argon2id through Bun.password, at a configurable cost.

export interface PasswordCost {
  memoryKib: number;
  timeCost: number;
}

export interface Passwords {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

export function createPasswords(cost: PasswordCost): Passwords {
  return {
    hash: (password) => Bun.password.hash(password, { algorithm: "argon2id", memoryCost: cost.memoryKib, timeCost: cost.timeCost }),
    async verify(password, hash) {
      try {
        return await Bun.password.verify(password, hash);
      } catch {
        return false; // an unreadable hash never matches
      }
    },
  };
}
