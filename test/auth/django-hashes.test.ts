// Hashes imported from the original Django server: pbkdf2_sha256 is verified as Django does (WebCrypto), anything
// else never matches, and only the Django ones ask to be replaced.
import { describe, expect, test } from "bun:test";
import { createPasswords } from "../../src/modules/auth/passwords";
import { copyFixture, originalRows, passwordOf } from "../import/import-helpers";

describe("Django password hashes", () => {
  const passwords = createPasswords({ memoryKib: 1024, timeCost: 1 });
  const users = originalRows<{ username: string; password: string }>(copyFixture(), "SELECT username, password FROM authentication_customuser ORDER BY id");
  const alice = users[0]!.password;

  test("pbkdf2_sha256 verifies with the right password only, at either iteration count", async () => {
    for (const { username, password } of users.filter((u) => ["alice", "erin"].includes(u.username))) {
      expect(await passwords.verify(passwordOf(username), password)).toBe(true);
      expect(await passwords.verify(passwordOf(username).toLowerCase(), password)).toBe(false);
      expect(await passwords.verify("", password)).toBe(false);
    }
    expect(users.find((u) => u.username === "erin")!.password).toStartWith("pbkdf2_sha256$600000$");
  });

  test("a tampered or malformed hash never matches (and never throws)", async () => {
    const [algorithm, iterations, salt, digest] = alice.split("$");
    const variants = [
      `${algorithm}$${Number(iterations) + 1}$${salt}$${digest}`,
      `${algorithm}$${iterations}$${salt}x$${digest}`,
      `${algorithm}$${iterations}$${salt}$${digest!.replace(/^./, (c) => (c === "A" ? "B" : "A"))}`,
      `${algorithm}$${iterations}$${salt}`,
      `${algorithm}$0$${salt}$${digest}`,
      `${algorithm}$99999999$${salt}$${digest}`,
      `${algorithm}$${iterations}$${salt}$not base64!`,
      `${algorithm}$${iterations}$$${digest}`,
    ];
    for (const hash of variants) expect(await passwords.verify(passwordOf("alice"), hash)).toBe(false);
  });

  test("other Django hashers and unusable passwords never match; our argon2id hashes still do", async () => {
    for (const hash of ["argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA", "bcrypt_sha256$$2b$12$abc", "md5$salt$abc", "!unusable", ""]) {
      expect(await passwords.verify("anything", hash)).toBe(false);
    }
    const ours = await passwords.hash("a password");
    expect(await passwords.verify("a password", ours)).toBe(true);
    expect(passwords.needsRehash(ours)).toBe(false);
    expect(passwords.needsRehash(alice)).toBe(true);
  });
});
