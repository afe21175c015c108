// FTS5 does not merge index segments inside the indexer's inserts (a merge of a large index held the event loop for
// up to 100 ms); the indexer merges them itself, a short transaction a step, so segments do not pile up.
import { describe, expect, test } from "bun:test";
import { createGroup, registerUsers } from "../chat-helpers";
import { listen, queryRows } from "../helpers";
import { onPostgres } from "../test-database";

const TABLES = ["messages_fts", "messages_trigram", "search_words_trigram"];

describe.skipIf(onPostgres)("merging the search index", () => {
  test("is off inside inserts, and done in steps: 60 batches leave few segments, every message still found", async () => {
    const { server, api } = await listen();
    const { parley } = server;
    for (const table of TABLES) {
      const config = await queryRows<{ k: string; v: number }>(parley, `SELECT k, v FROM ${table}_config WHERE k IN ('automerge', 'usermerge')`);
      expect(Object.fromEntries(config.map((row) => [row.k, Number(row.v)]))).toEqual({ automerge: 0, usermerge: 16 });
    }
    const [alice] = await registerUsers(api, ["merge_alice"] as const);
    const group = (await createGroup(api, alice)).id;
    const segments = async () => (await queryRows<{ n: number }>(parley, "SELECT count(DISTINCT segid) AS n FROM messages_trigram_idx"))[0]!.n;
    for (let batch = 0; batch < 60; batch++) {
      await queryRows(parley, "INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES (?, ?, ?, ?)", [
        group,
        alice.id,
        `batch${batch} word${batch}x`,
        Date.now(),
      ]);
      await parley.ctx.searchIndexer.catchUp(); // one batch, one segment a table; merges follow in the background
    }
    for (let i = 0; i < 100 && (await segments()) >= 16; i++) await Bun.sleep(20);
    expect(await segments()).toBeLessThan(16);
    for (const q of ["batch0", "word59x", "tch3"]) {
      const found = await api("GET", `/api/search/?q=${q}&limit=50`, { token: alice.access });
      expect(found.status).toBe(200);
      expect(found.body.results.length).toBeGreaterThan(0);
    }
  });
});
