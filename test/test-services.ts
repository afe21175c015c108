// Whether PostgreSQL and Redis answer, for the tests that need them. Without them those tests skip and say why, so a
// developer without them can still run the suite; with PARLEY_TEST_REQUIRE_SERVICES=1 (CI, which starts both) they
// fail with the reason instead.
import { RedisClient } from "bun";
import { test } from "bun:test";
import { POSTGRES_ADMIN_URL } from "./test-database";

const REQUIRE_SERVICES = process.env.PARLEY_TEST_REQUIRE_SERVICES === "1";
export const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Why no Redis answers a PING at `url`, or null when one does. */
export async function redisProblem(url = REDIS_URL): Promise<string | null> {
  const client = new RedisClient(url, { autoReconnect: false, connectionTimeout: 2_000 });
  try {
    await client.connect();
    await client.send("PING", []);
    return null;
  } catch (error) {
    return `no Redis at ${url} (${error instanceof Error ? error.message : String(error)}). Set PARLEY_TEST_REDIS_URL to run them.`;
  } finally {
    client.close();
  }
}

/** Why psql cannot reach the admin URL (the tests make their databases through it), or null when it can. */
export function postgresProblem(): string | null {
  try {
    const result = Bun.spawnSync(["psql", POSTGRES_ADMIN_URL, "-Atc", "select 1"], { stdout: "ignore", stderr: "pipe" });
    return result.exitCode === 0
      ? null
      : `no PostgreSQL answers at ${POSTGRES_ADMIN_URL} through psql (${result.stderr.toString().trim()}). Set PARLEY_TEST_POSTGRES_URL to run them.`;
  } catch {
    return "no psql on this machine";
  }
}

/**
 * Whether the tests of `what` skip for want of a service (`problem`, null when it answered). They skip saying why, or,
 * under PARLEY_TEST_REQUIRE_SERVICES=1, a test in their place fails with the reason.
 */
export function skipWithout(what: string, problem: string | null): boolean {
  if (problem === null) return false;
  if (REQUIRE_SERVICES) {
    test(`${what}: the services they need answer`, () => {
      throw new Error(`${what}: ${problem} (PARLEY_TEST_REQUIRE_SERVICES=1: required here)`);
    });
  } else {
    console.warn(`${what} SKIPPED: ${problem}`);
  }
  return true;
}
