// Search over 1M messages: a rare word, a common word, a prefix, a phrase, a partial word (substring) and Chinese,
// each over HTTP as the only load, beside the client's own ceiling (a bare Bun server answering the same bytes).
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, httpLoad, measured, spawnBare, spawnParley, type ScenarioOptions, type ScenarioResult } from "../lib";

const SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "da", "pe", "zu", "ho", "ne", "bi", "fa", "gu"];
const CHINESE = ["北京", "会议", "项目", "进度", "天气", "公园", "明天", "讨论", "朋友", "晚饭"];

/** A vocabulary of made-up words with a long tail: a few words are in most messages, most words in very few. */
function corpus(count: number): (index: number) => string {
  const words = Array.from({ length: 20_000 }, (_, i) => {
    let word = "";
    for (let n = i + 7; n > 0 || word.length < 4; n = Math.floor(n / SYLLABLES.length)) word += SYLLABLES[n % SYLLABLES.length];
    return word;
  });
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const zipf = () => words[Math.min(words.length - 1, Math.floor(Math.pow(random(), 3) * words.length))]!;
  return (index) => {
    const text = Array.from({ length: 6 + (index % 7) }, zipf);
    const n = Math.floor(index / 10);
    if (index % 10 === 0) text.push(CHINESE[n % CHINESE.length]! + CHINESE[(n * 3 + 1) % CHINESE.length]!);
    return text.join(" ");
  };
}

export async function search({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = quick ? 2 : 4;
  const messages = quick ? 200_000 : 1_000_000;
  const concurrency = 1; // one request at a time: the latency of a search, not a queue
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-search-"));
  try {
    const started = performance.now();
    await fillDataDir(dataDir, { users: 2, groups: [{ members: 2, messages, text: corpus(messages) }] });
    const fillSeconds = (performance.now() - started) / 1000;
    // Pick the words from the data itself: the most common one, and one found in a handful of messages.
    const db = new Database(join(dataDir, "parley.db"));
    db.run("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, 'messages_fts', 'row')");
    const vocab = db.query<{ term: string; doc: number }, []>("SELECT term, doc FROM temp.vocab ORDER BY doc DESC").all();
    db.close();
    const common = vocab[0]!.term;
    const rare = vocab.find((v) => v.doc <= 5 && /^[a-z]{6,}$/.test(v.term))!.term;
    const queries: [string, string][] = [
      [`rare word ("${rare}")`, rare],
      [`common word ("${common}", in ${((vocab[0]!.doc / messages) * 100).toFixed(0)}% of messages)`, common],
      [`prefix ("${common.slice(0, 3)}")`, common.slice(0, 3)],
      [`phrase ("${common} ${vocab[1]!.term}")`, `"${common} ${vocab[1]!.term}"`],
      [`partial word ("${rare.slice(1, -1)}")`, rare.slice(1, -1)],
      ["Chinese (\"项目\")", "项目"],
      ["Chinese, 4 characters (\"北京会议\")", "北京会议"],
    ];
    const token = (await createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 }).issue("access", 1, 0)).token;
    const headers = { authorization: `Bearer ${token}` };
    const server = await spawnParley(dataDir);
    const rows: Record<string, Record<string, number | string>> = {};
    let bytes = 0;
    for (const [label, q] of queries) {
      const url = `${server.url}/api/search/?q=${encodeURIComponent(q)}&limit=20`;
      const body = await (await fetch(url, { headers })).text();
      bytes = Math.max(bytes, body.length);
      const found = (JSON.parse(body) as { results: unknown[] }).results.length;
      await httpLoad({ url, headers, seconds: 1, connections: concurrency, expect: 200 }); // warm-up
      const r = await measured(server, () => httpLoad({ url, headers, seconds, connections: concurrency, expect: 200 }));
      rows[`Parley, ${label}`] = { results: found, "req/s": r.per_second, "p50 ms": r.p50_ms, "p99 ms": r.p99_ms, "server CPU s": r.server_cpu_seconds, "peak RSS MiB": r.server_peak_rss_mib };
    }
    await server.stop();
    const bare = await spawnBare();
    const ceiling = await measured(bare, () => httpLoad({ url: `${bare.url}/static?bytes=${bytes}`, seconds, connections: concurrency, expect: 200 }));
    await bare.stop();
    rows["client ceiling (bare Bun, same bytes)"] = { "req/s": ceiling.per_second, "p50 ms": ceiling.p50_ms, "p99 ms": ceiling.p99_ms };
    return {
      scenario: "search",
      rows,
      notes: [
        `${messages.toLocaleString("en")} messages of made-up words (long-tailed), a tenth with Chinese; filled and indexed (FTS5 unicode61 + trigram) in ${fillSeconds.toFixed(0)} s.`,
        `${concurrency} connection, ${seconds} s per query, 20 results a page with snippets; the newest 2,000 matches of each kind are ranked by bm25.`,
      ],
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
