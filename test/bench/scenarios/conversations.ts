// The conversation list of a user in 500 conversations: members, last message, unread and mention counts for
// each, in one request. Every conversation holds messages the user has not read, so every count does real work.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, httpLoad, measured, spawnBare, spawnParley, type ScenarioOptions, type ScenarioResult } from "../lib";

export async function conversations({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = quick ? 3 : 6;
  const count = 500;
  const perConversation = 200;
  const concurrency = 8;
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-conversations-"));
  try {
    // Users 1 and 2 share every conversation; each holds 200 messages, the newer half unread by user 1.
    await fillDataDir(dataDir, { users: 2, groups: Array.from({ length: count }, (_, _i) => ({ members: 2, messages: perConversation, firstMember: 1 })) });
    const db = new Database(join(dataDir, "parley.db"));
    db.run(
      `UPDATE conversation_members SET last_read_message_id =
         (SELECT id FROM messages WHERE messages.conversation_id = conversation_members.conversation_id ORDER BY id LIMIT 1 OFFSET ${perConversation / 2})`,
    );
    db.close();
    const token = (await createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 }).issue("access", 1, 0)).token;
    const headers = { authorization: `Bearer ${token}` };
    const server = await spawnParley(dataDir);
    const url = `${server.url}/api/conversations/`;
    const first = (await (await fetch(url, { headers })).json()) as { unread_count: number }[];
    if (first.length !== count || first.some((c) => c.unread_count <= 0)) throw new Error(`unexpected list: ${first.length} conversations`);
    const bytes = JSON.stringify(first).length;
    await httpLoad({ url, headers, seconds: 1, connections: concurrency, expect: 200 }); // warm-up
    const list = await measured(server, () => httpLoad({ url, headers, seconds, connections: concurrency, expect: 200 }));
    await server.stop();

    const bare = await spawnBare();
    const ceiling = await measured(bare, () => httpLoad({ url: `${bare.url}/static?bytes=${bytes}`, seconds, connections: concurrency, expect: 200 }));
    await bare.stop();

    const row = (r: typeof list) => ({
      "req/s": r.per_second,
      "p50 ms": r.p50_ms,
      "p99 ms": r.p99_ms,
      "server CPU s": r.server_cpu_seconds,
      "peak RSS MiB": r.server_peak_rss_mib,
    });
    return {
      scenario: "conversations",
      rows: { [`Parley, GET /api/conversations/ (${count} conversations)`]: row(list), "client ceiling (bare Bun, same bytes)": row(ceiling) },
      notes: [
        `${count} conversations of ${perConversation} messages, ${perConversation / 2 - 1} unread in each; ${bytes} bytes per answer; ${concurrency} connections from ${list.generator}, ${seconds} s.`,
      ],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
