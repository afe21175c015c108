// No request stalls the others: 8 clients run the heaviest reads in a loop (searches of every kind, the conversation
// list of a member of 500 conversations, deep history pages, admin listings) at 1M messages, while /healthz is polled
// and a WebSocket delivery is timed from send to arrival. Beside it, the same probes on the same server at rest.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, loadLoop, measured, percentile, spawnParley, type ChildServer, type ScenarioOptions, type ScenarioResult } from "../lib";
import { corpus } from "./search";

const CLIENTS = 8;

/** /healthz every 10 ms and one WebSocket message every 20 ms (sent by user 2, heard by user 1), for `seconds`. */
async function probe(server: ChildServer, tokens: string[], conversationId: number, seconds: number) {
  const ws = (token: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`${server.url.replace("http", "ws")}/ws?token=${token}`);
      socket.onopen = () => resolve(socket);
      socket.onerror = () => reject(new Error("socket failed"));
    });
  const [listener, sender] = [await ws(tokens[0]!), await ws(tokens[1]!)];
  const sentAt = new Map<string, number>();
  const deliveries: number[] = [];
  listener.onmessage = (event) => {
    const data = String(event.data);
    if (!data.startsWith('{"type":"message.created"')) return;
    const text = /"message":"probe (\d+)"/.exec(data)?.[1];
    const at = text === undefined ? undefined : sentAt.get(text);
    if (at !== undefined) deliveries.push(performance.now() - at);
  };
  const health: number[] = [];
  const end = performance.now() + seconds * 1000;
  const polling = (async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const response = await fetch(`${server.url}/healthz`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
      health.push(performance.now() - t0);
      await Bun.sleep(10);
    }
  })();
  for (let i = 0; performance.now() < end; i++) {
    sentAt.set(String(i), performance.now());
    sender.send(JSON.stringify({ type: "message.send", conversation_id: conversationId, message: `probe ${i}` }));
    await Bun.sleep(20);
  }
  await polling;
  await Bun.sleep(200); // the last deliveries
  listener.close();
  sender.close();
  health.sort((a, b) => a - b);
  deliveries.sort((a, b) => a - b);
  return {
    health_p50: percentile(health, 50),
    health_p99: percentile(health, 99),
    delivery_p50: percentile(deliveries, 50),
    delivery_p99: percentile(deliveries, 99),
    delivered: deliveries.length,
    sent: sentAt.size,
  };
}

export async function stalls({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = quick ? 4 : 8;
  const messages = quick ? 200_000 : 1_000_000;
  const conversations = 500;
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-stalls-"));
  try {
    // User 1 (staff) is in 500 conversations: one of `messages` messages, 499 of 200; user 2 shares them all.
    const ids = await fillDataDir(dataDir, {
      users: 4,
      groups: [
        { members: 2, messages, text: corpus(messages) },
        ...Array.from({ length: conversations - 1 }, () => ({ members: 2, messages: 200, text: corpus(200) })),
      ],
    });
    const db = new Database(join(dataDir, "parley.db"));
    db.run("UPDATE users SET is_staff = 1 WHERE id = 1");
    db.run("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, 'messages_fts', 'col')");
    const vocab = db.query<{ term: string; doc: number }, []>("SELECT term, doc FROM temp.vocab WHERE col = 'body' ORDER BY doc DESC").all();
    const big = ids[0]!;
    const middle = db
      .query<{ id: number }, [number, number]>("SELECT id FROM messages WHERE conversation_id = ? ORDER BY id LIMIT 1 OFFSET ?")
      .get(big, Math.floor(messages / 2))!.id;
    db.close();
    const common = vocab[0]!.term;
    const rare = vocab.find((v) => v.doc <= 5 && /^[a-z]{6,}$/.test(v.term))!.term;
    const reads = [
      ...[rare, common, common.slice(0, 3), `"${common} ${vocab[1]!.term}"`, rare.slice(1, -1), "项目", "北京会议"].map(
        (q) => `/api/search/?q=${encodeURIComponent(q)}&limit=20`,
      ),
      "/api/conversations/",
      `/api/messages/${big}/?before=${middle}&limit=100`,
      "/api/admin/users/?limit=100",
      "/api/admin/groups/?limit=100",
    ];
    const issuer = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
    const tokens = [(await issuer.issue("access", 1, 0)).token, (await issuer.issue("access", 2, 0)).token];
    const headers = { authorization: `Bearer ${tokens[0]}` };
    const server = await spawnParley(dataDir);
    try {
      for (const path of reads) {
        const response = await fetch(`${server.url}${path}`, { headers });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
      }
      const small = ids[1]!; // a conversation of user 1's list: every probe message changes the list too
      const rest = await probe(server, tokens, small, Math.min(seconds, 4));
      let readsDone = 0;
      const loaded = await measured(server, async () => {
        const load = loadLoop(seconds + 1, CLIENTS, async (worker, i) => {
          const path = reads[(worker + i * CLIENTS) % reads.length]!;
          const response = await fetch(`${server.url}${path}`, { headers });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
          readsDone++;
        });
        await Bun.sleep(500);
        const probed = await probe(server, tokens, small, seconds);
        return { ...probed, reads: await load };
      });
      const row = (r: typeof rest) => ({
        "/healthz p50 ms": r.health_p50,
        "/healthz p99 ms": r.health_p99,
        "delivery p50 ms": r.delivery_p50,
        "delivery p99 ms": r.delivery_p99,
        delivered: `${r.delivered}/${r.sent}`,
      });
      return {
        scenario: "stalls",
        rows: {
          "Parley at rest": row(rest),
          [`Parley while ${CLIENTS} clients run heavy reads`]: {
            ...row(loaded),
            "reads/s": loaded.reads.per_second,
            "read p50 ms": loaded.reads.p50_ms,
            "read p99 ms": loaded.reads.p99_ms,
            "server CPU s": loaded.server_cpu_seconds,
          },
        },
        notes: [
          `${messages.toLocaleString("en")} messages in one conversation and 200 in each of ${conversations - 1} more, all of user 1 (staff) and user 2; ${readsDone} heavy reads by ${CLIENTS} clients in ${seconds} s, in turn: searches (rare "${rare}", common "${common}", prefix, phrase, partial word, 2- and 4-character Chinese), the conversation list, a history page 50% deep, the admin user and group listings.`,
          "Probes: /healthz every 10 ms from one connection; a message sent over WebSocket every 20 ms by user 2 into a conversation of user 1's, timed to its arrival on user 1's socket (each also changes user 1's conversation list).",
          "Target (issue 19): p99 of both under 10 ms while the reads run.",
        ],
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
