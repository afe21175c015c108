// No built-in secret: without PARLEY_JWT_SECRET, one is generated on first start and kept in the data dir (mode 0600),
// or, on PostgreSQL, in the shared database, so that every node signs and accepts the same tokens.
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "../../db";
import { sharedSetting } from "../../db/settings";
import { makePrivateDir } from "../../lib/private-files";

export const secretPath = (dataDir: string) => join(dataDir, "jwt-secret");

export function loadOrCreateSecret(dataDir: string): string {
  const path = secretPath(dataDir);
  makePrivateDir(dataDir);
  try {
    writeFileSync(path, `${randomBytes(48).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  chmodSync(path, 0o600);
  const secret = readFileSync(path, "utf8").trim();
  if (secret.length < 32) throw new Error(`${path} holds a secret shorter than 32 characters; delete it to generate a new one`);
  return secret;
}

/** The secret every node sharing the database uses: the first node to start stores one; the others read it. */
export function loadOrCreateSharedSecret(db: Db): Promise<string> {
  return sharedSetting(db, "jwt_secret", () => randomBytes(48).toString("base64url"));
}
