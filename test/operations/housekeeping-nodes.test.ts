// Housekeeping with several nodes on one PostgreSQL database: one node at a time sweeps it, so what expires goes
// once and is announced once, however many nodes run their sweep at the same moment.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { housekeepOnce } from "../../src/housekeeping";
import { handleClient, queryRows, registerUser, testConfig } from "../helpers";
import { createGroup, sendText } from "../chat-helpers";
import { onPostgres } from "../test-database";

const DAY = 86_400_000;

describe.if(onPostgres)("housekeeping on a shared database", () => {
  test("three nodes sweeping at once: expired messages go once, one messages.expired event", async () => {
    const config = testConfig({ messageRetentionMs: 7 * DAY });
    const nodes = [await createApp(config), await createApp(config), await createApp(config)]; // one database
    try {
      const api = handleClient(nodes[0]!);
      const owner = await registerUser(api, "sweeper");
      const group = await createGroup(api, owner, []);
      const ids = [];
      for (let i = 0; i < 20; i++) ids.push((await sendText(api, owner, group.id, `old ${i}`)).id);
      await sendText(api, owner, group.id, "fresh");
      await queryRows(nodes[0]!, `UPDATE messages SET created_at = ? WHERE id IN (${ids.map(() => "?").join(",")})`, [Date.now() - 30 * DAY, ...ids]);
      await queryRows(nodes[0]!, `UPDATE events SET created_at = ? WHERE message_id IN (${ids.map(() => "?").join(",")})`, [Date.now() - 30 * DAY, ...ids]);

      await Promise.all(nodes.map((node) => housekeepOnce(node.ctx)));
      expect((await queryRows(nodes[0]!, "SELECT body FROM messages")).map((r) => r.body)).toEqual(["fresh"]);
      expect(await queryRows(nodes[0]!, "SELECT count(*) AS n FROM events WHERE type = 'messages.expired'")).toEqual([{ n: 1 }]);
    } finally {
      for (const node of nodes) await node.close();
    }
  });
});
