// Search over the caller's conversations: words, prefixes, phrases, German with diacritics, Chinese and Japanese,
// partial words, ranking, safe snippets, pagination, edits and deletes at once, and strangers finding nothing.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listen, makeApp, queryRows, type TestUser } from "../helpers";
import { onPostgres } from "../test-database";
import { createGroup, directWith, expectRefused, registerUsers, sendText, waitFor } from "../chat-helpers";

const { api } = await makeApp();
let alice: TestUser, bob: TestUser, eve: TestUser;
let group: number, direct: number, evesRoom: number;
type Key = "en1" | "en2" | "en3" | "de1" | "de2" | "zh1" | "zh2" | "ja1" | "ja2" | "html" | "secret";
const ids = {} as Record<Key, number>;

const CORPUS: [Key, string][] = [
  ["en1", "The quick brown fox jumps over the lazy dog"],
  ["en2", "Meeting notes: the conversation about deployment went well"],
  ["en3", "Deploying the new release on Friday, deployment checklist attached"],
  ["de1", "Viele Grüße aus der Straße, bis morgen"],
  ["de2", "Die Bücher liegen auf dem Tisch"],
  ["zh1", "我们明天在北京开会讨论项目进度"],
  ["zh2", "今天天气很好，我们去公园散步吧"],
  ["ja1", "東京で新しいプロジェクトを始めました"],
  ["ja2", "ありがとうございます、また明日会いましょう"],
  ["html", "<img src=x onerror=alert(1)> is not a picture of a fox"],
];

beforeAll(async () => {
  [alice, bob, eve] = await registerUsers(api, ["sally", "sbob", "seve"] as const);
  group = (await createGroup(api, alice, [bob.id])).id;
  direct = await directWith(api, alice, bob);
  evesRoom = (await createGroup(api, eve, [])).id;
  for (const [key, text] of CORPUS) ids[key] = (await sendText(api, key.startsWith("de") ? bob : alice, key === "zh2" ? direct : group, text)).id;
  ids.secret = (await sendText(api, eve, evesRoom, "the secret fox plan in 北京 with Grüße")).id;
});

const search = (user: TestUser, params: Record<string, string | number>) =>
  api("GET", `/api/search/?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`, { token: user.access });
const found = async (user: TestUser, q: string, extra: Record<string, string | number> = {}) => {
  const response = await search(user, { q, ...extra });
  expect(response.status).toBe(200);
  return (response.body.results as { id: number }[]).map((r) => r.id);
};

describe("what a search finds", () => {
  test("words, prefixes and phrases", async () => {
    expect((await found(alice, "fox")).sort()).toEqual([ids.en1, ids.html].sort());
    expect(await found(alice, "deploy")).toEqual(expect.arrayContaining([ids.en2, ids.en3]));
    expect(await found(alice, "quick brown")).toEqual([ids.en1]);
    expect(await found(alice, '"brown fox"')).toEqual([ids.en1]);
    expect(await found(alice, '"fox brown"')).toEqual([]);
    expect(await found(alice, "QUICK")).toEqual([ids.en1]);
  });

  test("German: umlauts and ß, with and without diacritics", async () => {
    expect(await found(alice, "Grüße")).toEqual([ids.de1]);
    expect(await found(alice, "grusse")).toEqual([ids.de1]); // ß and ss are one spelling to a reader
    expect(await found(alice, "Strasse")).toEqual([ids.de1]);
    expect(await found(alice, "Straße")).toEqual([ids.de1]);
    expect(await found(alice, "Strasse ")).toEqual([ids.de1]);
    const hit = (await search(alice, { q: "strasse" })).body.results[0];
    expect(hit.snippet.slice(hit.highlights[0][0], hit.highlights[0][1])).toBe("Straße");
    expect(await found(alice, "bucher")).toEqual([ids.de2]); // ü folds to u
    expect(await found(alice, "Bücher")).toEqual([ids.de2]);
  });

  test("Chinese and Japanese: substrings of any length, no spaces needed", async () => {
    expect(await found(alice, "北京")).toEqual([ids.zh1]);
    expect(await found(alice, "讨论项目")).toEqual([ids.zh1]);
    expect(await found(alice, "公园")).toEqual([ids.zh2]);
    expect(await found(alice, "我们")).toEqual([ids.zh2, ids.zh1]);
    expect(await found(alice, "東京")).toEqual([ids.ja1]);
    expect(await found(alice, "プロジェクト")).toEqual([ids.ja1]);
    expect(await found(alice, "ありがとう")).toEqual([ids.ja2]);
    expect(await found(alice, "明")).toEqual([ids.ja2, ids.zh1]);
  });

  test("partial words inside a word", async () => {
    expect(await found(alice, "versation")).toEqual([ids.en2]);
    expect(await found(alice, "ployment")).toEqual(expect.arrayContaining([ids.en2, ids.en3]));
  });

  test("ranking: best match first (bm25), not newest first", async () => {
    const room = (await createGroup(api, alice, [])).id;
    const strong = await sendText(api, alice, room, "alpaca alpaca alpaca");
    await sendText(api, alice, room, "a long message that mentions an alpaca only once among very many other words here");
    await sendText(api, alice, room, "another long message with one alpaca in it and plenty of filler words around");
    const ranked = await found(alice, "alpaca", { conversation_id: room });
    expect(ranked).toHaveLength(3);
    expect(ranked[0]).toBe(strong.id); // the oldest, but the best match
  });

  test("snippets are plain text with highlight offsets; markup in messages stays text", async () => {
    const response = await search(alice, { q: "fox" });
    const html = response.body.results.find((r: any) => r.id === ids.html);
    expect(html.snippet).toContain("<img src=x onerror=alert(1)>");
    expect(html.highlights).toHaveLength(1);
    const [start, end] = html.highlights[0];
    expect(html.snippet.slice(start, end)).toBe("fox");
    expect(html.message).toBe(CORPUS.find(([k]) => k === "html")![1]);
    const cjk = (await search(alice, { q: "北京" })).body.results[0];
    expect(cjk.snippet.slice(cjk.highlights[0][0], cjk.highlights[0][1])).toBe("北京");
    expect(cjk.conversation_id).toBe(group);
  });

  test("conversation_id narrows the search", async () => {
    expect(await found(alice, "我们", { conversation_id: direct })).toEqual([ids.zh2]);
    expect(await found(alice, "我们", { conversation_id: group })).toEqual([ids.zh1]);
  });
});

describe("pagination", () => {
  test("pages follow each other with no duplicate and no gap", async () => {
    const room = (await createGroup(api, alice, [])).id;
    for (let i = 0; i < 23; i++) await sendText(api, alice, room, `pagination marker number ${i}${" marker".repeat(i % 3)}`);
    const all = await found(alice, "marker", { conversation_id: room, limit: 100 });
    expect(all).toHaveLength(23);
    const seen: number[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page++) {
      const response: any = await search(alice, { q: "marker", conversation_id: room, limit: 5, ...(before ? { before } : {}) });
      expect(response.status).toBe(200);
      seen.push(...response.body.results.map((r: any) => r.id));
      before = response.body.next;
      if (!before) break;
    }
    expect(seen).toEqual(all);
  });

  test("a first page (which reads only a few of the newest matches) begins the same order that later pages continue, across kinds", async () => {
    const room = (await createGroup(api, alice, [])).id;
    // Whole words, words starting with the term and words containing it, interleaved, newest mixed in each kind.
    const texts = ["quar", "quarry", "aquarium", "a quarrel", "squares", "quar again", "the quarry", "aquarist"];
    for (let i = 0; i < 24; i++) await sendText(api, alice, room, `${texts[i % texts.length]} ${i} 北京`);
    for (const q of ["quar", "北京"]) {
      const all = await found(alice, q, { conversation_id: room, limit: 100 });
      expect(all).toHaveLength(24);
      for (const limit of [1, 3, 7]) {
        const seen: number[] = [];
        let before: string | null = null;
        for (let page = 0; page < 30; page++) {
          const response: any = await search(alice, { q, conversation_id: room, limit, ...(before ? { before } : {}) });
          expect(response.status).toBe(200);
          seen.push(...response.body.results.map((r: any) => r.id));
          before = response.body.next;
          if (!before) break;
        }
        expect(seen).toEqual(all);
      }
    }
  });
});

describe("changes show at once", () => {
  test("an edited message is found by its new words and not its old ones; a deleted one not at all", async () => {
    const room = (await createGroup(api, alice, [bob.id])).id;
    const message = await sendText(api, alice, room, "original wording about zebras");
    expect(await found(alice, "zebras")).toEqual([message.id]);
    expect(
      (await api("PATCH", `/api/messages/${room}/${message.id}/`, { token: alice.access, body: { message: "changed wording about giraffes" } })).status,
    ).toBe(200);
    expect(await found(alice, "zebras")).toEqual([]);
    expect(await found(bob, "giraffes")).toEqual([message.id]);
    expect((await api("DELETE", `/api/messages/${room}/${message.id}/`, { token: alice.access })).status).toBe(204);
    expect(await found(alice, "giraffes")).toEqual([]);
    expect(await found(alice, "raffe")).toEqual([]);
  });
});

describe("who finds what", () => {
  test("a stranger never finds text from a conversation they are not in", async () => {
    expect(await found(eve, "fox")).toEqual([ids.secret]);
    expect(await found(eve, "北京")).toEqual([ids.secret]);
    expect(await found(eve, "Grüße")).toEqual([ids.secret]);
    expect(await found(alice, "secret")).toEqual([]);
    expectRefused(await search(eve, { q: "fox", conversation_id: group }), 403);
    expectRefused(await search(eve, { q: "fox", conversation_id: 999_999 }), 404);
  });

  test("a member who leaves stops finding the group's messages", async () => {
    const [carol] = await registerUsers(api, ["scarol"] as const);
    const room = (await createGroup(api, alice, [carol.id])).id;
    const message = await sendText(api, alice, room, "farewell aardvark");
    expect(await found(carol, "aardvark")).toEqual([message.id]);
    expect((await api("POST", `/api/groups/${room}/leave/`, { token: carol.access })).status).toBe(200);
    expect(await found(carol, "aardvark")).toEqual([]);
  });

  test("anonymous and bad tokens get 401", async () => {
    expect((await api("GET", "/api/search/?q=fox")).status).toBe(401);
    expect((await api("GET", "/api/search/?q=fox", { token: "nonsense" })).status).toBe(401);
  });
});

describe("bad input", () => {
  test("FTS syntax, punctuation and nonsense never answer 500", async () => {
    for (const q of [
      '"',
      "*",
      "AND OR",
      "NEAR(",
      "fox OR",
      "a:b",
      '"unterminated phrase',
      "^fox",
      "-fox",
      "fox NOT dog",
      "((",
      "'",
      "\\",
      "%",
      "_",
      "col:fox",
      "\u0000",
    ]) {
      const response = await search(alice, { q });
      expect([200, 400]).toContain(response.status);
      if (response.status === 400) expect(response.body.q ?? response.body.detail).toBeDefined();
    }
  });

  test("missing, empty, too long or punctuation-only q, a bad cursor and a bad limit are 400s naming the field", async () => {
    for (const [path, field] of [
      ["/api/search/", "q"],
      ["/api/search/?q=", "q"],
      [`/api/search/?q=${"x".repeat(201)}`, "q"],
      ["/api/search/?q=!!!", "q"],
      ["/api/search/?q=fox&before=nonsense", "before"],
      ["/api/search/?q=fox&limit=0", "limit"],
      ["/api/search/?q=fox&limit=101", "limit"],
      ["/api/search/?q=fox&conversation_id=abc", "conversation_id"],
    ] as const) {
      const response = await api("GET", path, { token: alice.access });
      expect(response.status, path).toBe(400);
      expect(JSON.stringify(response.body), path).toContain(field);
    }
  });
});

describe("the index", () => {
  test("edits and deletes before and after indexing keep the index exact (FTS5 integrity-check passes)", async () => {
    const { api: fresh, parley } = await makeApp();
    const [u] = await registerUsers(fresh, ["indexer"] as const);
    const room = (await createGroup(fresh, u, [])).id;
    const edit = (id: number, message: string) => fresh("PATCH", `/api/messages/${room}/${id}/`, { token: u.access, body: { message } });
    const remove = (id: number) => fresh("DELETE", `/api/messages/${room}/${id}/`, { token: u.access });
    const query = async (q: string) =>
      ((await fresh("GET", `/api/search/?q=${encodeURIComponent(q)}`, { token: u.access })).body.results as { id: number }[]).map((r) => r.id);
    // Not indexed yet: edited and deleted before the indexer sees them.
    const early = await sendText(fresh, u, room, "early walrus");
    const gone = await sendText(fresh, u, room, "doomed narwhal");
    expect((await edit(early.id, "early manatee")).status).toBe(200);
    expect((await remove(gone.id)).status).toBe(204);
    expect(await query("walrus")).toEqual([]);
    expect(await query("manatee")).toEqual([early.id]);
    expect(await query("anate")).toEqual([early.id]);
    expect(await query("narwhal")).toEqual([]);
    // Indexed: the same changes go through the triggers.
    expect((await edit(early.id, "early dugong")).status).toBe(200);
    expect(await query("manatee")).toEqual([]);
    expect(await query("dugong")).toEqual([early.id]);
    expect(await query("ugon")).toEqual([early.id]);
    expect(await query("anate")).toEqual([]);
    await sendText(fresh, u, room, "a dugong again");
    expect((await remove(early.id)).status).toBe(204);
    expect(await query("dugong")).toHaveLength(1);
    expect(await query("early")).toEqual([]);
    expect(await query("arl")).toEqual([]);
    if (parley.ctx.sqlite) {
      for (const table of ["messages_fts", "messages_trigram", "search_words_trigram"])
        parley.ctx.sqlite.run(`INSERT INTO ${table}(${table}) VALUES ('integrity-check')`);
      // The vocabulary (parts of words are looked up in it) holds exactly the word index's words, no deleted one.
      parley.ctx.sqlite.run("CREATE VIRTUAL TABLE temp.indexed_words USING fts5vocab(main, messages_fts, col)");
      const words = (query: string) =>
        parley.ctx
          .sqlite!.query<{ word: string }, []>(query)
          .all()
          .map((row) => row.word);
      expect(words("SELECT word FROM search_words ORDER BY word")).toEqual(
        words("SELECT term AS word FROM temp.indexed_words WHERE col = 'body' ORDER BY term"),
      );
      expect(words("SELECT word FROM search_words")).toEqual(expect.arrayContaining(["dugong", "again"]));
      expect(words("SELECT word FROM search_words")).not.toContain("early");
    }
  });

  test("messages written without the send path (an import, a database from before search) are indexed too", async () => {
    const { api: fresh, parley } = await makeApp();
    const [u] = await registerUsers(fresh, ["importer"] as const);
    const room = (await createGroup(fresh, u, [])).id;
    const insert = async (...values: unknown[]) =>
      (
        await queryRows<{ id: number }>(
          parley,
          "INSERT INTO messages (conversation_id, sender_id, body, created_at, deleted_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
          values,
        )
      )[0]!.id;
    const live = await insert(room, u.id, "imported platypus", Date.now(), null);
    await insert(room, u.id, "", Date.now(), Date.now()); // a tombstone: never indexed
    const query = async (q: string) => ((await fresh("GET", `/api/search/?q=${q}`, { token: u.access })).body.results as { id: number }[]).map((r) => r.id);
    expect(await query("platypus")).toEqual([live]);
    if (parley.ctx.sqlite)
      for (const table of ["messages_fts", "messages_trigram"]) parley.ctx.sqlite.run(`INSERT INTO ${table}(${table}) VALUES ('integrity-check')`);
  });

  test.skipIf(onPostgres)("a running server indexes new messages by itself, shortly after they are sent", async () => {
    const { server, api: http } = await listen();
    const [u] = await registerUsers(http, ["background"] as const);
    const message = await sendText(http, u, (await createGroup(http, u, [])).id, "indexed in the background");
    const state = () =>
      ((server.parley.ctx.reader as import("bun:sqlite").Database).query("SELECT indexed_up_to FROM search_state").get() as { indexed_up_to: number })
        .indexed_up_to;
    expect(await waitFor(() => state() >= message.id)).toBe(true);
  });
});

describe.skipIf(onPostgres)("deleted text leaves the file", () => {
  test("after a delete and the index purge, the words are nowhere in parley.db", async () => {
    const { api: fresh, parley } = await makeApp();
    const [u] = await registerUsers(fresh, ["forgetful"] as const);
    const room = (await createGroup(fresh, u, [])).id;
    const secret = "xylophonequartzsecret";
    const message = await sendText(fresh, u, room, `the password is ${secret}`);
    for (let i = 0; i < 30; i++) await sendText(fresh, u, room, `filler message ${i}`);
    expect((await fresh("GET", `/api/search/?q=${secret}`, { token: u.access })).body.results).toHaveLength(1); // indexed
    const file = () => {
      parley.ctx.sqlite!.run("PRAGMA wal_checkpoint(TRUNCATE)");
      return Buffer.from(readFileSync(join(parley.ctx.config.dataDir, "parley.db"))).includes(secret);
    };
    expect(file()).toBe(true);
    expect((await fresh("DELETE", `/api/messages/${room}/${message.id}/`, { token: u.access })).status).toBe(204);
    expect(parley.ctx.sqlite!.query("SELECT 1 FROM search_words WHERE word = ?").get(secret)).toBeNull(); // at once
    expect(await parley.ctx.searchIndexer.purgeIfDue(Date.now(), 0)).toBe(true);
    expect(await parley.ctx.searchIndexer.purgeIfDue(Date.now(), 0)).toBe(false); // nothing deleted since
    expect(file()).toBe(false);
  });
});
