// A member of many conversations (more than one tagged walk's worth) searches: one walk of the whole index serves
// when their conversations hold the matches or there are few matches at all, the tagged walks when others' hold
// most of them; either way exactly the caller's own matches, newest first, and pages that follow each other.
import { beforeAll, describe, expect, test } from "bun:test";
import { makeApp, queryRows, type TestUser } from "../helpers";
import { createGroup, registerUsers, sendText } from "../chat-helpers";

const { api, parley } = await makeApp();
let alice: TestUser;
const mine: Record<"common" | "rare", number[]> = { common: [], rare: [] };

const search = async (q: string, limit = 50, before: string | null = null) => {
  const response = await api("GET", `/api/search/?q=${encodeURIComponent(q)}&limit=${limit}${before ? `&before=${before}` : ""}`, { token: alice.access });
  expect(response.status).toBe(200);
  return response.body as { results: { id: number }[]; next: string | null };
};

beforeAll(async () => {
  const [a, eve] = await registerUsers(api, ["many_alice", "many_eve"] as const);
  alice = a;
  const rooms: number[] = [];
  for (let i = 0; i < 40; i++) rooms.push((await createGroup(api, alice, [])).id);
  const evesRoom = (await createGroup(api, eve, [])).id;
  // 6,000 of eve's messages say "common" (more than one untagged walk reads), one says "zorblax".
  const range = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)";
  await queryRows(parley, `${range} INSERT INTO messages (conversation_id, sender_id, body, created_at) SELECT ?, ?, 'a common word ' || i, ? FROM n`, [
    evesRoom,
    eve.id,
    Date.now(),
  ]);
  await sendText(api, eve, evesRoom, "zorblax in eve's room");
  for (const [i, room] of rooms.entries()) {
    if (i % 10 === 3) mine.common.unshift((await sendText(api, alice, room, `my common thought ${i}`)).id);
    if (i % 13 === 5) mine.rare.unshift((await sendText(api, alice, room, `zorblax number ${i}`)).id);
  }
  await queryRows(parley, `${range} INSERT INTO messages (conversation_id, sender_id, body, created_at) SELECT ?, ?, 'a common word again ' || i, ? FROM n`, [
    evesRoom,
    eve.id,
    Date.now(),
  ]);
  await parley.ctx.searchIndexer.catchUp();
}, 60_000);

describe("a member of 40 conversations", () => {
  test("finds their own messages of a word that fills another's conversation, and none of that one's", async () => {
    expect(mine.common).toHaveLength(4);
    expect((await search("common")).results.map((r) => r.id)).toEqual(mine.common);
  });

  test("finds a rare word, a part of it and its prefix in their conversations only", async () => {
    expect(mine.rare).toHaveLength(3);
    for (const q of ["zorblax", "orbla", "zorb"]) expect((await search(q)).results.map((r) => r.id)).toEqual(mine.rare);
  });

  test("pages through their matches with no duplicate and no gap", async () => {
    const seen: number[] = [];
    let next: string | null = null;
    for (let page = 0; page < 10; page++) {
      const body = await search("zorblax", 1, next);
      seen.push(...body.results.map((r) => r.id));
      next = body.next;
      if (!next) break;
    }
    expect(seen).toEqual(mine.rare);
  });
});
