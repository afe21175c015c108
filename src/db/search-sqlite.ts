// Full-text search on SQLite (FTS5), the one place that knows FTS5: the index tables, the triggers that keep them
// in step with `messages`, and the MATCH queries. Two external-content indexes over messages.body (no copy of the
// text): `unicode61` (words, prefixes and phrases, diacritics folded: "bucher" finds "Bücher") and `trigram` (any
// substring of three or more characters: Chinese, Japanese and Korean, which have no spaces, and partial words).
import type { Database as SqliteDatabase } from "bun:sqlite";
import { sql, type Kysely } from "kysely";
import type { MatchKind, SearchHit, SearchQuery, SearchTerm, SearchTiers } from "./search";

const TABLES = ["messages_fts", "messages_trigram"] as const;

/**
 * Creates the indexes (the migration calls this). New messages are indexed in batches by indexPendingMessages,
 * not by a trigger per insert: FTS5 writes a segment at every savepoint, and every send runs in one (group commit),
 * which made each send five times dearer. `search_state.indexed_up_to` is the id up to which messages are indexed;
 * edits and deletes of those are applied to the index at once, in the same transaction, by triggers.
 */
export async function installSearchIndex(db: Kysely<any>): Promise<void> {
  await sql`CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`.execute(db);
  await sql`CREATE VIRTUAL TABLE messages_trigram USING fts5(body, content='messages', content_rowid='id', tokenize='trigram remove_diacritics 1')`.execute(db);
  await sql`CREATE TABLE search_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_up_to INTEGER NOT NULL)`.execute(db);
  await sql`INSERT INTO search_state (id, indexed_up_to) VALUES (1, 0)`.execute(db);
  // Only live messages with text are in the index; an external-content delete must repeat exactly what was indexed.
  for (const table of TABLES) {
    const t = sql.raw(table);
    const indexed = (row: "old" | "new") => sql.raw(`${row}.deleted_at IS NULL AND ${row}.body <> '' AND ${row}.id <= (SELECT indexed_up_to FROM search_state)`);
    // One trigger, statements in order (SQLite fires separate triggers newest first): out with the old, in with the new.
    await sql`CREATE TRIGGER ${sql.raw(`${table}_update`)} AFTER UPDATE OF body, deleted_at ON messages BEGIN
      INSERT INTO ${t}(${t}, rowid, body) SELECT 'delete', old.id, old.body WHERE ${indexed("old")};
      INSERT INTO ${t}(rowid, body) SELECT new.id, new.body WHERE ${indexed("new")};
    END`.execute(db);
    await sql`CREATE TRIGGER ${sql.raw(`${table}_delete`)} AFTER DELETE ON messages WHEN ${indexed("old")} BEGIN
      INSERT INTO ${t}(${t}, rowid, body) VALUES ('delete', old.id, old.body);
    END`.execute(db);
  }
}

/**
 * FTS5's secure-delete: a delete (the triggers' on edit and delete) takes the words out of the index's pages at once,
 * instead of marking them until a merge: deleted and edited-out text must be gone from the file, not just unsearchable.
 */
export async function secureDeleteInSearchIndex(db: Kysely<any>, on = true): Promise<void> {
  for (const table of TABLES) await sql`INSERT INTO ${sql.raw(table)}(${sql.raw(table)}, rank) VALUES ('secure-delete', ${on ? 1 : 0})`.execute(db);
}

export async function uninstallSearchIndex(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    for (const suffix of ["update", "delete"]) await sql`DROP TRIGGER ${sql.raw(`${table}_${suffix}`)}`.execute(db);
    await sql`DROP TABLE ${sql.raw(table)}`.execute(db);
  }
  await sql`DROP TABLE search_state`.execute(db);
}

/**
 * Rewrites the indexes without what was deleted from them: an FTS5 delete only marks the old terms, which stay in
 * older segments until a merge. Deletion laws want the words gone from the file too.
 */
export function purgeDeletedFromIndex(writer: SqliteDatabase): void {
  for (const table of TABLES) writer.run(`INSERT INTO ${table}(${table}) VALUES ('optimize')`);
}

/** Whether messages wait to be indexed (on the read connection: cheap, two index lookups). */
export function indexIsBehind(reader: SqliteDatabase): boolean {
  const row = reader.query<{ behind: number }, []>("SELECT (SELECT coalesce(max(id), 0) FROM messages) > (SELECT indexed_up_to FROM search_state) AS behind").get();
  return row?.behind === 1;
}

/**
 * Indexes up to `batch` of the messages written since the last call, on the writer connection and inside the
 * caller's transaction; returns how many ids it moved past (0: the index is up to date).
 */
export function indexPendingMessages(writer: SqliteDatabase, batch: number): number {
  const { from } = writer.query<{ from: number }, []>("SELECT indexed_up_to AS \"from\" FROM search_state").get()!;
  const upTo = writer.query<{ upTo: number | null }, [number, number]>("SELECT max(id) AS upTo FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)").get(from, batch)?.upTo;
  if (upTo === null || upTo === undefined) return 0;
  for (const table of TABLES) {
    writer.run(`INSERT INTO ${table}(rowid, body) SELECT id, body FROM messages WHERE id > ? AND id <= ? AND deleted_at IS NULL AND body <> ''`, [from, upTo]);
  }
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
  const spellings = new Set([text, text.replace(/ß/g, "ss"), text.replace(/ss/g, "ß")]);
  const quoted = [...spellings].map((spelling) => `${quote(spelling)}${suffix}`);
  return quoted.length === 1 ? quoted[0]! : `(${quoted.join(" OR ")})`;
}
/** The tiers of search.ts over the two FTS5 indexes, run synchronously on SQLite's read connection. */
export function sqliteSearch(reader: SqliteDatabase, query: SearchQuery): SearchTiers {
  return {
    words: async (terms) => ftsQuery(reader, "messages_fts", terms.map((t) => variants(t.text)).join(" "), 0, "word", query),
    prefixes: async (terms) => ftsQuery(reader, "messages_fts", terms.map((t) => variants(t.text, t.phrase ? "" : "*")).join(" "), 1, "prefix", query),
    substrings: async (long, short) => ftsQuery(reader, "messages_trigram", long.map((t) => variants(t.text)).join(" "), 2, "substring", query, short),
    scan: async (terms) => substringScan(reader, terms, query),
  };
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Newest matches first (FTS5 walks its doclists backwards by rowid), only in the user's conversations, at most
 * `window` of them, with their bm25. Trigram ignores terms under three characters: `alsoContaining` must still
 * appear in the text.
 */
function ftsQuery(reader: SqliteDatabase, table: string, match: string, tier: number, kind: MatchKind, query: SearchQuery, alsoContaining: SearchTerm[] = []): SearchHit[] {
  const likes = alsoContaining.map((_, i) => `AND m.body LIKE ?${5 + i} ESCAPE '\\'`).join(" ");
  const rows = reader
    .query<{ id: number; score: number }, (string | number | null)[]>(
      `SELECT f.rowid AS id, bm25(${table}) AS score
         FROM ${table} AS f
         JOIN messages AS m ON m.id = f.rowid
         JOIN conversation_members AS cm ON cm.conversation_id = m.conversation_id AND cm.user_id = ?1
        WHERE ${table} MATCH ?2 AND m.conversation_id = coalesce(?4, m.conversation_id) ${likes}
        ORDER BY f.rowid DESC
        LIMIT ?3`,
    )
    .all(query.userId, match, query.window, query.conversationId, ...alsoContaining.map((t) => likePattern(t.text)));
  return rows.map((row) => ({ ...row, tier, kind }));
}

/** One- and two-character CJK terms are below trigram's reach: a scan of the user's newest 20,000 messages. */
function substringScan(reader: SqliteDatabase, terms: SearchTerm[], query: SearchQuery): SearchHit[] {
  const likes = terms.map(() => "AND body LIKE ? ESCAPE '\\'").join(" ");
  const rows = reader
    .query<{ id: number }, (string | number | null)[]>(
      `SELECT id FROM (
         SELECT m.id, m.body FROM messages AS m
           JOIN conversation_members AS cm ON cm.conversation_id = m.conversation_id AND cm.user_id = ?
          WHERE m.deleted_at IS NULL AND m.conversation_id = coalesce(?, m.conversation_id)
          ORDER BY m.id DESC LIMIT 20000)
        WHERE 1 ${likes}
        ORDER BY id DESC LIMIT ?`,
    )
    .all(query.userId, query.conversationId, ...terms.map((t) => likePattern(t.text)), query.window);
  return rows.map((row) => ({ id: row.id, tier: 3, kind: "substring", score: 0 }));
}
