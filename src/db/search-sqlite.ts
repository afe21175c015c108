// Full-text search on SQLite (FTS5), the one place that knows FTS5: the index tables, the triggers that keep them
// in step with `messages`, and the MATCH queries. Two external-content indexes over messages.body (no copy of the text):
// `unicode61` (words, prefixes and phrases, diacritics folded: "bucher" finds "Bücher") and `trigram` (any substring
// of three or more characters: Chinese, Japanese and Korean, which have no spaces, and partial words). Each row also
// carries its conversation's tag, so a search walks only the caller's conversations' postings.
import { escapeLike } from "./like";
import type { Database as SqliteDatabase } from "bun:sqlite";
import { sql, type Kysely, type RawBuilder } from "kysely";
import { findRanges } from "../modules/search/highlight";
import type { MatchKind, SearchHit, SearchQuery, SearchTerm, SearchTiers } from "./search-types";

const TABLES = ["messages_fts", "messages_trigram"] as const;
const TOKENIZERS = { messages_fts: "unicode61 remove_diacritics 2", messages_trigram: "trigram remove_diacritics 1" } as const;

/**
 * Creates the indexes (migration 0006 calls this; 0010 replaces them by the tagged form). New messages are indexed
 * in batches by indexPendingMessages, not by a trigger per insert: FTS5 writes a segment at every savepoint, and
 * every send runs in one (group commit), which made each send five times dearer. `search_state.indexed_up_to` is
 * the id up to which messages are indexed; edits and deletes of those are applied to the index at once, in the same
 * transaction, by triggers.
 */
export async function installSearchIndex(db: Kysely<any>): Promise<void> {
  await createIndexTables(db, false);
  await sql`CREATE TABLE search_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_up_to INTEGER NOT NULL)`.execute(db);
  await sql`INSERT INTO search_state (id, indexed_up_to) VALUES (1, 0)`.execute(db);
}

/**
 * FTS5's secure-delete: a delete (the triggers' on edit and delete) takes the words out of the index's pages at once,
 * instead of marking them until a merge: deleted and edited-out text must be gone from the file, not just unsearchable.
 */
export async function secureDeleteInSearchIndex(db: Kysely<any>, on = true): Promise<void> {
  for (const table of TABLES) await sql`INSERT INTO ${sql.raw(table)}(${sql.raw(table)}, rank) VALUES ('secure-delete', ${on ? 1 : 0})`.execute(db);
}

export async function uninstallSearchIndex(db: Kysely<any>): Promise<void> {
  await dropIndexTables(db);
  await sql`DROP TABLE search_state`.execute(db);
}

/**
 * A conversation's tag in the index: its id as three private-use characters (base 6,400, so ids up to 2.6 * 10^11),
 * one token to unicode61 and one trigram to trigram, which no text typed by a person contains. A search ANDs the
 * caller's tags with the terms, and FTS5 intersects the two posting lists, skipping through the longer one.
 */
export const conversationTag = (id: number) =>
  String.fromCharCode(0xe000 + (Math.floor(id / 40_960_000) % 6400), 0xe000 + (Math.floor(id / 6400) % 6400), 0xe000 + (id % 6400));
const tagSql = (column: string) => `char(57344 + ${column} / 40960000 % 6400, 57344 + ${column} / 6400 % 6400, 57344 + ${column} % 6400)`;
const tagOf = (column: string) => sql.raw(tagSql(column));

/** Migration 0010: the indexes again, in the tagged form, with everything indexed so far (`tagged` false: back). */
export async function tagSearchIndex(db: Kysely<any>, tagged = true): Promise<void> {
  await dropIndexTables(db);
  await createIndexTables(db, tagged);
  const upTo = sql`deleted_at IS NULL AND body <> '' AND id <= (SELECT indexed_up_to FROM search_state)`;
  for (const table of TABLES) {
    const t = sql.raw(table);
    if (tagged) await sql`INSERT INTO ${t}(rowid, body, conversation_tag) SELECT id, body, ${tagOf("conversation_id")} FROM messages WHERE ${upTo}`.execute(db);
    else await sql`INSERT INTO ${t}(rowid, body) SELECT id, body FROM messages WHERE ${upTo}`.execute(db);
  }
}

async function dropIndexTables(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    for (const suffix of ["update", "delete"]) await sql`DROP TRIGGER ${sql.raw(`${table}_${suffix}`)}`.execute(db);
    await sql`DROP TABLE ${sql.raw(table)}`.execute(db);
  }
  await sql`DROP VIEW IF EXISTS ${sql.raw(SOURCE)}`.execute(db);
}

/** What the tagged indexes are over: each message's text and its conversation's tag (a view, so no copy of either). */
const SOURCE = "messages_search_source";

// Only live messages with text are in the index; an external-content delete must repeat exactly what was indexed.
const indexed = (row: "old" | "new") => sql.raw(`${row}.deleted_at IS NULL AND ${row}.body <> '' AND ${row}.id <= (SELECT indexed_up_to FROM search_state)`);

/**
 * Untagged (0006): external-content tables over messages.body. Tagged (0010): external-content tables over a view
 * that adds the message's conversation tag. Not contentless: FTS5 can take a contentless row's words out of its
 * pages only at a merge (it never learns them again), while a delete that repeats the words lets secure-delete
 * remove them at once.
 */
async function createIndexTables(db: Kysely<any>, tagged: boolean): Promise<void> {
  if (tagged) await sql`CREATE VIEW ${sql.raw(SOURCE)} AS SELECT id, body, ${tagOf("conversation_id")} AS conversation_tag FROM messages`.execute(db);
  for (const table of TABLES) {
    const t = sql.raw(table);
    const form = tagged ? `body, conversation_tag, content='${SOURCE}', content_rowid='id'` : "body, content='messages', content_rowid='id'";
    await sql`CREATE VIRTUAL TABLE ${t} USING fts5(${sql.raw(form)}, tokenize='${sql.raw(TOKENIZERS[table])}')`.execute(db);
    const remove = (when: RawBuilder<unknown>) =>
      tagged
        ? sql`INSERT INTO ${t}(${t}, rowid, body, conversation_tag) SELECT 'delete', old.id, old.body, ${tagOf("old.conversation_id")} WHERE ${when}`
        : sql`INSERT INTO ${t}(${t}, rowid, body) SELECT 'delete', old.id, old.body WHERE ${when}`;
    const insert = tagged
      ? sql`INSERT INTO ${t}(rowid, body, conversation_tag) SELECT new.id, new.body, ${tagOf("new.conversation_id")} WHERE ${indexed("new")}`
      : sql`INSERT INTO ${t}(rowid, body) SELECT new.id, new.body WHERE ${indexed("new")}`;
    // One trigger, statements in order (SQLite fires separate triggers newest first): out with the old, in with the new.
    await sql`CREATE TRIGGER ${sql.raw(`${table}_update`)} AFTER UPDATE OF body, deleted_at ON messages BEGIN
      ${remove(indexed("old"))};
      ${insert};
    END`.execute(db);
    await sql`CREATE TRIGGER ${sql.raw(`${table}_delete`)} AFTER DELETE ON messages BEGIN
      ${remove(indexed("old"))};
    END`.execute(db);
  }
}

/**
 * Migration 0015: the vocabulary, every word of the word index (`search_words`), itself indexed by trigrams, so a part
 * of a word is looked up among the few thousand distinct words and then found as those whole words (an OR in
 * messages_fts), instead of an AND of trigram postings over every message. Kept exact in the same transaction as the
 * word index: a newly indexed or edited text adds its words (tokenized by a scratch FTS5 table, the same tokenizer as
 * messages_fts), and a deleted or edited-out word whose last message it was leaves at once, secure-delete included.
 */
export async function installSearchVocabulary(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE search_words (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE)`.execute(db);
  await sql`CREATE VIRTUAL TABLE search_words_trigram USING fts5(word, content='search_words', content_rowid='id', tokenize='trigram remove_diacritics 1')`.execute(
    db,
  );
  await sql`INSERT INTO search_words_trigram(search_words_trigram, rank) VALUES ('secure-delete', 1)`.execute(db);
  // Contentless, emptied after each use: only its term list is read (through the fts5vocab table), never its rows.
  await sql`CREATE VIRTUAL TABLE search_scratch USING fts5(body, content='', detail=none, tokenize='${sql.raw(TOKENIZERS.messages_fts)}')`.execute(db);
  await sql`INSERT INTO search_scratch(search_scratch, rank) VALUES ('secure-delete', 1)`.execute(db);
  await sql`CREATE VIRTUAL TABLE search_scratch_terms USING fts5vocab(search_scratch, row)`.execute(db);
  await sql`CREATE TRIGGER search_words_insert AFTER INSERT ON search_words BEGIN
    INSERT INTO search_words_trigram(rowid, word) VALUES (new.id, new.word);
  END`.execute(db);
  await sql`CREATE TRIGGER search_words_delete AFTER DELETE ON search_words BEGIN
    INSERT INTO search_words_trigram(search_words_trigram, rowid, word) VALUES ('delete', old.id, old.word);
  END`.execute(db);
  // Whichever order SQLite fires this and messages_fts's triggers in, the message itself is not counted as a holder.
  const forgetWordsOf = sql`
    INSERT INTO search_scratch(body) SELECT old.body WHERE ${indexed("old")};
    DELETE FROM search_words WHERE word IN (SELECT term FROM search_scratch_terms) AND NOT EXISTS (
      SELECT 1 FROM messages_fts WHERE messages_fts MATCH 'body : "' || replace(search_words.word, '"', '""') || '"' AND rowid <> old.id);
    INSERT INTO search_scratch(search_scratch) VALUES ('delete-all')`;
  await sql`CREATE TRIGGER search_words_message_update AFTER UPDATE OF body, deleted_at ON messages BEGIN
    ${forgetWordsOf};
    INSERT INTO search_scratch(body) SELECT new.body WHERE ${indexed("new")};
    ${sql.raw(ADD_SCRATCH_WORDS)};
  END`.execute(db);
  await sql`CREATE TRIGGER search_words_message_delete AFTER DELETE ON messages BEGIN
    ${forgetWordsOf};
  END`.execute(db);
  await sql`CREATE VIRTUAL TABLE temp.messages_fts_terms USING fts5vocab(main, messages_fts, col)`.execute(db);
  await sql`INSERT INTO search_words(word) SELECT term FROM temp.messages_fts_terms WHERE col = 'body'`.execute(db);
  await sql`DROP TABLE temp.messages_fts_terms`.execute(db);
}

/** Adds the scratch table's words to the vocabulary and empties it. */
const ADD_SCRATCH_WORDS = `INSERT OR IGNORE INTO search_words(word) SELECT term FROM search_scratch_terms;
    INSERT INTO search_scratch(search_scratch) VALUES ('delete-all')`;

export async function uninstallSearchVocabulary(db: Kysely<any>): Promise<void> {
  for (const trigger of ["search_words_message_update", "search_words_message_delete"]) await sql`DROP TRIGGER ${sql.raw(trigger)}`.execute(db);
  for (const table of ["search_scratch_terms", "search_scratch", "search_words_trigram", "search_words"]) await sql`DROP TABLE ${sql.raw(table)}`.execute(db);
}

/**
 * Rewrites the indexes without what was deleted from them: an FTS5 delete only marks the old terms, which stay in
 * older segments until a merge. Deletion laws want the words gone from the file too.
 */
export function purgeDeletedFromIndex(writer: SqliteDatabase): void {
  for (const table of [...TABLES, "search_words_trigram"]) writer.run(`INSERT INTO ${table}(${table}) VALUES ('optimize')`);
}

/** Every FTS5 index that grows with messages: the indexer merges their segments itself (see mergeSearchIndexStep). */
const MERGED = [...TABLES, "search_words_trigram"] as const;
/** Leaf pages merged per table in one step (FTS5 stops only between terms: a common term's postings go whole). */
const MERGE_PAGES = 16;

/**
 * Migration 0017: turns FTS5's automatic merging off (`on` false: FTS5's defaults back), which merged segments inside
 * whichever insert tipped a level over (p99 73 ms a batch at 1M messages, on the event loop); the indexer merges in
 * small steps between batches instead. 16 segments a level before a merge: a third of the merge work of 4; the crisis
 * merge inside an insert (FTS5's safety net should the steps fall behind) moves above that, to 32.
 */
export async function mergeSearchIndexInSteps(db: Kysely<any>, on = true): Promise<void> {
  const settings = on ? { automerge: 0, usermerge: 16, crisismerge: 32 } : { automerge: 4, usermerge: 4, crisismerge: 16 };
  for (const table of MERGED) {
    for (const [name, value] of Object.entries(settings)) {
      await sql`INSERT INTO ${sql.raw(table)}(${sql.raw(table)}, rank) VALUES (${name}, ${value})`.execute(db);
    }
  }
}

/** How many indexes mergeSearchIndexStep takes turns on. */
export const SEARCH_INDEXES = MERGED.length;

/**
 * One bounded step of merging one index's segments (the `index`-th of SEARCH_INDEXES), in the caller's transaction;
 * returns whether that index has more to merge. One index a step: four in one transaction held the writer 10-25 ms.
 * A positive 'merge' works only on a level holding 16 or more segments (usermerge), so the segment count stays bounded.
 */
export function mergeSearchIndexStep(writer: SqliteDatabase, index: number): boolean {
  const table = MERGED[index % MERGED.length]!;
  const changes = writer.query<{ n: number }, []>("SELECT total_changes() AS n");
  const before = changes.get()!.n;
  writer.run(`INSERT INTO ${table}(${table}, rank) VALUES ('merge', ${MERGE_PAGES})`);
  return changes.get()!.n - before >= 2; // FTS5's documented sign that it found work to do
}

/** Whether messages wait to be indexed (on the read connection: cheap, two index lookups). */
export function indexIsBehind(reader: SqliteDatabase): boolean {
  const row = reader
    .query<{ behind: number }, []>("SELECT (SELECT coalesce(max(id), 0) FROM messages) > (SELECT indexed_up_to FROM search_state) AS behind")
    .get();
  return row?.behind === 1;
}

/**
 * Indexes up to `batch` of the messages written since the last call, on the writer connection and inside the
 * caller's transaction; returns how many ids it moved past (0: the index is up to date).
 */
export function indexPendingMessages(writer: SqliteDatabase, batch: number): number {
  const { from } = writer.query<{ from: number }, []>('SELECT indexed_up_to AS "from" FROM search_state').get()!;
  const upTo = writer
    .query<{ upTo: number | null }, [number, number]>("SELECT max(id) AS upTo FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)")
    .get(from, batch)?.upTo;
  if (upTo === null || upTo === undefined) return 0;
  for (const table of TABLES) {
    writer.run(
      `INSERT INTO ${table}(rowid, body, conversation_tag) SELECT id, body, ${tagSql("conversation_id")} FROM messages WHERE id > ? AND id <= ? AND deleted_at IS NULL AND body <> ''`,
      [from, upTo],
    );
  }
  writer.run("INSERT INTO search_scratch(body) SELECT body FROM messages WHERE id > ? AND id <= ? AND deleted_at IS NULL AND body <> ''", [from, upTo]);
  for (const statement of ADD_SCRATCH_WORDS.split(";")) writer.run(statement);
  writer.run("UPDATE search_state SET indexed_up_to = ? WHERE id = 1", [upTo]);
  return upTo - from;
}

/** An FTS5 string literal: every term is quoted, so nothing the user types is read as query syntax. */
const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;

/**
 * A term and its German spelling variants: ß is no diacritic (no tokenizer folds it), yet "Strasse" and "Straße" are
 * one word to a reader. `suffix` is appended to each (a prefix star); the variants are OR-ed.
 */
function variants(text: string, suffix = ""): string {
  const quoted = spellings(text).map((spelling) => `${quote(spelling)}${suffix}`);
  return quoted.length === 1 ? quoted[0]! : `(${quoted.join(" OR ")})`;
}
const spellings = (text: string) => [...new Set([text, text.replace(/ß/g, "ss"), text.replace(/ss/g, "ß")])];
/** Conversation tags per MATCH: FTS5 advances every child of an OR at each step, so a few dozen at a time. */
const TAGS_PER_QUERY = 32;
/**
 * A word in fewer messages than this on the whole server is ranked by bm25, whose weights count the word's postings
 * server-wide; a commoner one is found through the caller's tags and its matches come newest first.
 */
const RARE = 2_000;

/** Lets other requests and sockets run between two bounded pieces of a search. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The tiers of search.ts over the two FTS5 indexes, on SQLite's read connection: every MATCH is either bounded by
 * RARE postings or intersected with the caller's conversation tags, a few dozen conversations per statement with
 * the event loop free in between, so a search costs what the caller's own conversations hold, not the server.
 */
export function sqliteSearch(reader: SqliteDatabase, query: SearchQuery): SearchTiers {
  const conversations =
    query.conversationId !== null
      ? [query.conversationId]
      : reader
          .query<{ id: number }, [number]>("SELECT conversation_id AS id FROM conversation_members WHERE user_id = ? ORDER BY conversation_id")
          .all(query.userId)
          .map((r) => r.id);
  // The trigram matches, shared by the prefix and substring tiers: the widest window read so far serves any narrower.
  let trigramHits: { window: number; ids: Promise<number[]> } | undefined;
  const containing = (long: SearchTerm[], short: SearchTerm[], window = query.window) => {
    if (!trigramHits || trigramHits.window < window)
      trigramHits = { window, ids: tagged(reader, "messages_trigram", long.map((t) => variants(t.text)).join(" "), conversations, window, short) };
    return trigramHits.ids;
  };
  // Messages holding, for each term, one of its words (none: no message contains the term).
  const ofWords = async (words: string[][]) =>
    words.some((w) => w.length === 0)
      ? []
      : tagged(reader, "messages_fts", words.map((w) => `(${w.map(quote).join(" OR ")})`).join(" AND "), conversations, query.window, [], true);
  return {
    async words(terms) {
      await yieldToEventLoop();
      const match = terms.map((t) => variants(t.text)).join(" ");
      if (terms.every((t) => isRare(reader, t))) return ftsQuery(reader, "messages_fts", match, 0, "word", query);
      return hitsOf(await tagged(reader, "messages_fts", match, conversations, query.window), 0, "word");
    },
    async prefixes(terms) {
      // An FTS5 prefix query merges the postings of every word with that prefix on the server; instead the few words
      // starting with the terms are looked for, or else the trigram index finds the caller's messages containing the
      // terms, and those where each starts a word are kept.
      await yieldToEventLoop();
      const words = wordsContaining(reader, terms, "prefix");
      if (words) return hitsOf(await ofWords(words), 1, "prefix");
      const long = terms.filter((t) => [...t.text].length >= 3);
      const short = terms.filter((t) => [...t.text].length < 3);
      // Not every candidate starts a word: the window widens until enough do, or every candidate was read.
      for (let window = Math.min(2 * query.window, Math.max(query.window, query.rankWindow)); ; ) {
        const candidates = long.length
          ? await containing(long, short, window)
          : (await substringScan(reader, terms, { ...query, window })).map((hit) => hit.id);
        const bodies = readBodies(reader, candidates);
        const startsWords = (id: number) => terms.every((term) => findRanges(bodies.get(id) ?? "", [term], "prefix").length > 0);
        const kept = candidates.filter(startsWords);
        if (kept.length >= query.window || candidates.length < window || window >= query.rankWindow) return hitsOf(kept, 1, "prefix");
        // As many as the share of candidates that started a word says a page needs (and at least twice as many).
        const needed = Math.ceil((1.5 * query.window * window) / Math.max(1, kept.length));
        window = Math.min(Math.max(2 * window, needed), Math.max(query.window, query.rankWindow));
      }
    },
    async substrings(long, short) {
      const words = short.length ? null : wordsContaining(reader, long, "substring");
      return hitsOf(await (words ? ofWords(words) : containing(long, short)), 2, "substring");
    },
    scan: (terms) => substringScan(reader, terms, query),
  };
}

const hitsOf = (ids: number[], tier: number, kind: MatchKind): SearchHit[] => ids.map((id) => ({ id, tier, kind, score: 0 }));

/** A term in more distinct words than this is found through the trigram index over messages (an OR of them costs more). */
const MAX_WORDS = 8;

/**
 * For each term, the indexed words containing it (`prefix`: starting with it), looked up in the vocabulary's trigram
 * index; null when a term is not one word of three or more characters or is in more than MAX_WORDS words.
 */
function wordsContaining(reader: SqliteDatabase, terms: SearchTerm[], kind: "prefix" | "substring"): string[][] | null {
  const statement = reader.query<{ word: string }, [string, number]>("SELECT word FROM search_words_trigram WHERE search_words_trigram MATCH ? LIMIT ?");
  const found: string[][] = [];
  for (const term of terms) {
    if (term.phrase || [...term.text].length < 3 || !/^[\p{L}\p{N}]+$/u.test(term.text)) return null;
    const words = new Set(spellings(term.text).flatMap((spelling) => statement.all(quote(spelling), MAX_WORDS + 1).map((row) => row.word)));
    if (words.size > MAX_WORDS) return null;
    found.push([...words].filter((word) => kind === "substring" || findRanges(word, [term], "prefix")[0]?.[0] === 0));
  }
  return found;
}

/** Whether a one-word term is in fewer than RARE messages (reads at most RARE postings). */
function isRare(reader: SqliteDatabase, term: SearchTerm): boolean {
  if (!/^[\p{L}\p{N}]+$/u.test(term.text)) return false; // a phrase: its words' postings may be long even when it is rare
  const { n } = reader
    .query<{ n: number }, [string, number]>("SELECT count(*) AS n FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)")
    .get(`body : ${variants(term.text)}`, RARE)!;
  return n < RARE;
}

function readBodies(reader: SqliteDatabase, ids: number[]): Map<number, string> {
  const rows = reader
    .query<{ id: number; body: string }, [string]>("SELECT id, body FROM messages WHERE id IN (SELECT value FROM json_each(?))")
    .all(JSON.stringify(ids));
  return new Map(rows.map((row) => [row.id, row.body]));
}

/**
 * The newest `window` messages of `conversations` matching `match` (and containing each of `alsoContaining`, which
 * trigrams cannot find), newest first: each statement ANDs the terms with a few dozen conversation tags, and once
 * `window` are found the next ones look only above the oldest of them. (Not in ranges of rowids: FTS5 walks a
 * descending doclist from its end down to a range's top, which made ten ranges cost ten times one walk.)
 */
async function tagged(
  reader: SqliteDatabase,
  table: string,
  match: string,
  conversations: number[],
  window: number,
  alsoContaining: SearchTerm[] = [],
  likelyRare = false,
): Promise<number[]> {
  // A likely rare match is first looked for on the whole server: a tagged walk newest first seeks backwards through
  // the caller's tag postings, which costs milliseconds for a conversation of a million messages.
  const reads = conversations.length > TAGS_PER_QUERY ? UNTAGGED_READS : likelyRare ? 2 * window : 0;
  const found = reads ? untagged(reader, table, match, new Set(conversations), window, alsoContaining, reads) : null;
  if (found) return found;
  const likes = likeClauses(alsoContaining);
  const statement = reader.query<{ id: number }, (string | number)[]>(
    `SELECT f.rowid AS id FROM ${table} AS f ${likes ? "JOIN messages AS m ON m.id = f.rowid" : ""}
      WHERE ${table} MATCH ? AND f.rowid > ? ${likes}
      ORDER BY f.rowid DESC
      LIMIT ?`,
  );
  let ids: number[] = [];
  for (let i = 0; i < conversations.length; i += TAGS_PER_QUERY) {
    await yieldToEventLoop();
    const tags = conversations
      .slice(i, i + TAGS_PER_QUERY)
      .map((id) => quote(conversationTag(id)))
      .join(" OR ");
    const above = ids.length >= window ? ids[window - 1]! : 0;
    const rows = statement.all(`body : (${match}) AND conversation_tag : (${tags})`, above, ...alsoContaining.map(likePattern), window);
    ids = ids
      .concat(rows.map((row) => row.id))
      .sort((a, b) => b - a)
      .slice(0, window);
  }
  return ids;
}

/** LIKE ignores the case of ASCII letters only: a term without them is the same as a plain (and cheaper) instr. */
const caseless = (term: SearchTerm) => !/[a-z]/i.test(term.text);
const likePattern = (term: SearchTerm) => (caseless(term) ? term.text : `%${escapeLike(term.text)}%`);
/** A condition on the message's text per term (its parameter bound by likePattern). */
const likeClauses = (terms: SearchTerm[]) => terms.map((t) => (caseless(t) ? "AND instr(m.body, ?) > 0" : "AND m.body LIKE ? ESCAPE '\\'")).join(" ");

/** How many of the newest matches on the whole server one untagged walk reads at most (see `untagged`). */
const UNTAGGED_READS = 5_000;

/**
 * For a member of many conversations, or a likely rare match: one walk of the newest matches on the whole server,
 * keeping the caller's, instead of a walk per few dozen of their conversations (each walk of a term with few matches
 * reads its whole posting list, newest first from its end). Enough when the walk ends within `reads` matches, or finds `window` of the caller's among
 * them; null otherwise (their conversations hold few of the matches: the tagged walks cost less then).
 */
function untagged(
  reader: SqliteDatabase,
  table: string,
  match: string,
  conversations: Set<number>,
  window: number,
  alsoContaining: SearchTerm[],
  reads: number,
): number[] | null {
  const likes = likeClauses(alsoContaining);
  const rows = reader
    .query<{ id: number; conversation: number }, (string | number)[]>(
      `SELECT f.rowid AS id, m.conversation_id AS conversation FROM ${table} AS f JOIN messages AS m ON m.id = f.rowid
        WHERE ${table} MATCH ? ${likes}
        ORDER BY f.rowid DESC
        LIMIT ?`,
    )
    .all(`body : (${match})`, ...alsoContaining.map(likePattern), reads);
  const ids = rows.filter((row) => conversations.has(row.conversation)).map((row) => row.id);
  return ids.length >= window || rows.length < reads ? ids.slice(0, window) : null;
}

/**
 * Rare words only (see RARE): newest matches first, only in the user's conversations, at most `window` of them,
 * with their bm25.
 */
function ftsQuery(reader: SqliteDatabase, table: string, match: string, tier: number, kind: MatchKind, query: SearchQuery): SearchHit[] {
  const rows = reader
    .query<{ id: number; score: number }, (string | number | null)[]>(
      `SELECT f.rowid AS id, bm25(${table}) AS score
         FROM ${table} AS f
         JOIN messages AS m ON m.id = f.rowid
         JOIN conversation_members AS cm ON cm.conversation_id = m.conversation_id AND cm.user_id = ?1
        WHERE ${table} MATCH ?2 AND m.conversation_id = coalesce(?4, m.conversation_id)
        ORDER BY f.rowid DESC
        LIMIT ?3`,
    )
    .all(query.userId, `body : (${match})`, query.rankWindow, query.conversationId);
  return rows.map((row) => ({ ...row, tier, kind }));
}

/** How many of the caller's newest messages a scan reads, and how many each of its statements reads at most. */
const SCAN_MESSAGES = 20_000;
const SCAN_IDS = 5_000;

/**
 * Terms below trigram's reach (one- and two-character CJK, short prefixes): the caller's newest 20,000 messages,
 * read a range of ids at a time, newest first, with the event loop free in between; the range widens while it
 * holds few of the caller's messages (reading those costs index lookups per conversation, not per id).
 */
async function substringScan(reader: SqliteDatabase, terms: SearchTerm[], query: SearchQuery): Promise<SearchHit[]> {
  const likes = likeClauses(terms);
  const statement = reader.query<{ id: number; hit: number }, (string | number | null)[]>(
    `SELECT m.id, (1 ${likes}) AS hit FROM messages AS m
      WHERE m.id BETWEEN ? AND ? AND m.deleted_at IS NULL
        AND m.conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = ? AND conversation_id = coalesce(?, conversation_id))`,
  );
  const newest = reader.query<{ id: number | null }, []>("SELECT max(id) AS id FROM messages").get()?.id ?? 0;
  const hits: SearchHit[] = [];
  let read = 0;
  // The first range is about what a page needs when one message in a hundred matches; later ones widen.
  for (let top = newest, span = Math.min(SCAN_IDS, 100 * query.window); top > 0 && read < SCAN_MESSAGES && hits.length < query.window; ) {
    await yieldToEventLoop();
    const rows = statement.all(...terms.map(likePattern), Math.max(1, top - span + 1), top, query.userId, query.conversationId);
    top -= span;
    span = rows.length < SCAN_IDS / 4 ? Math.min(span * 8, 16 * SCAN_IDS) : SCAN_IDS;
    rows.sort((a, b) => b.id - a.id);
    for (const row of rows.slice(0, SCAN_MESSAGES - read))
      if (row.hit && hits.length < query.window) hits.push({ id: row.id, tier: 3, kind: "substring", score: 0 });
    read += rows.length;
  }
  return hits;
}
