// A search costs what the caller's own conversations hold: at 200,000 messages, a user in one small conversation
// searching a word that 100,000 other messages contain gets exactly their own matches. The times are printed, not
// asserted (a shared CI machine makes any bound flaky): the search and stalls benches measure them against baselines.
import { beforeAll, describe, expect, test } from "bun:test";
import { listen, queryRows, type TestUser } from "../helpers";
import { createGroup, registerUsers } from "../chat-helpers";

const MESSAGES = 200_000;
const GROUPS = 200;
/** One message in this many belongs to the small conversation: 20 of them, spread over the whole history. */
const SPREAD = 10_000;

const { server, api } = await listen();
let alice: TestUser;
let own: number[];

/** The server's answer time, as a client on the same machine sees it (an upper bound). */
async function timed(path: string, token?: string): Promise<{ ms: number; status: number; body: any }> {
  const started = performance.now();
  const response = await api("GET", path, { token });
  return { ms: performance.now() - started, status: response.status, body: response.body };
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

beforeAll(async () => {
  const [a, bob, crowd] = await registerUsers(api, ["scale_alice", "scale_bob", "scale_crowd"] as const);
  alice = a;
  const small = (await createGroup(api, alice, [bob.id])).id;
  const now = Date.now();
  const range = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)`;
  await queryRows(
    server.parley,
    `${range} INSERT INTO conversations (kind, name, name_key, created_by, created_at) SELECT 'group', 'crowd' || i, 'crowd' || i, ?, ? FROM n`,
    [GROUPS, crowd.id, now],
  );
  const { first } = (await queryRows<{ first: number }>(server.parley, "SELECT min(id) AS first FROM conversations WHERE name_key LIKE 'crowd%'"))[0]!;
  await queryRows(
    server.parley,
    "INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) SELECT id, ?, 'owner', ? FROM conversations WHERE name_key LIKE 'crowd%'",
    [crowd.id, now],
  );
  // Every other message says "common", and every other one of the small conversation's.
  await queryRows(
    server.parley,
    `${range} INSERT INTO messages (conversation_id, sender_id, body, created_at)
       SELECT CASE WHEN i % ? = 0 THEN ? ELSE ? + i % ? END, CASE WHEN i % ? = 0 THEN ? ELSE ? END,
              CASE WHEN i % ? = ? OR i % 2 = 1 THEN 'another word ' || i ELSE 'common word number ' || i END, ? + i FROM n`,
    [MESSAGES, SPREAD, small, first, GROUPS, SPREAD, alice.id, crowd.id, 2 * SPREAD, SPREAD, now - MESSAGES],
  );
  own = (
    await queryRows<{ id: number }>(server.parley, "SELECT id FROM messages WHERE conversation_id = ? AND body LIKE 'common%' ORDER BY id DESC", [small])
  ).map((r) => Number(r.id));
  await server.parley.ctx.searchIndexer.catchUp(); // what the running server's indexer does shortly after start
}, 60_000);

describe("a search in a small conversation on a large server", () => {
  test("is answered with exactly the caller's own matches", async () => {
    expect(own).toHaveLength(MESSAGES / SPREAD / 2);
    const path = "/api/search/?q=common&limit=100";
    const first = await timed(path, alice.access); // warm: statements prepared, pages cached
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: { id: number }) => r.id).sort((x: number, y: number) => y - x)).toEqual(own);
    expect(first.body.next).toBeNull();
    const times: number[] = [];
    for (let i = 0; i < 7; i++) times.push((await timed(path, alice.access)).ms);
    console.log(`search at ${MESSAGES.toLocaleString("en")} messages: median ${median(times).toFixed(1)} ms (${times.map((t) => t.toFixed(1)).join(", ")})`);
  }, 30_000);

  test("/healthz sent with a burst of such searches is answered, and every search too", async () => {
    const path = "/api/search/?q=common&limit=20";
    await timed(path, alice.access);
    const healthz: number[] = [];
    for (let round = 0; round < 3; round++) {
      const searches = Array.from({ length: 5 }, () => timed(path, alice.access));
      const health = await timed("/healthz");
      expect(health.status).toBe(200);
      healthz.push(health.ms);
      for (const search of await Promise.all(searches)) expect(search.status).toBe(200);
    }
    console.log(`/healthz during searches: ${healthz.map((t) => t.toFixed(1)).join(", ")} ms`);
  }, 30_000);
});
