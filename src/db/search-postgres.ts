// Full-text search on PostgreSQL, the one place that knows its form: a tsvector index for words and phrases and a
// pg_trgm index for substrings (partial words, Chinese, Japanese, Korean), both over parley_fold(body) — lower case,
// accents removed by `unaccent` ("bucher" finds "Bücher", "strasse" finds "Straße") — and both kept up to date by
// PostgreSQL itself on every write, so nothing here indexes. Created by migrations/0006_search.ts.
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { MatchKind, SearchHit, SearchQuery, SearchTerm, SearchTiers } from "./search-types";

/** The SQL that creates the fold function and both indexes (the migration runs it). */
export async function installPostgresSearch(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public`.execute(db);
  await sql`CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public`.execute(db);
  // IMMUTABLE (unaccent itself is only STABLE, its dictionary could change) so that indexes may use it.
  await sql`CREATE FUNCTION parley_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$`.execute(db);
  await sql`CREATE INDEX messages_fts ON messages USING gin (to_tsvector('simple', parley_fold(body))) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX messages_trigram ON messages USING gin (parley_fold(body) public.gin_trgm_ops) WHERE deleted_at IS NULL`.execute(db);
}

export async function uninstallPostgresSearch(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX messages_trigram`.execute(db);
  await sql`DROP INDEX messages_fts`.execute(db);
  await sql`DROP FUNCTION parley_fold(text)`.execute(db);
}

const document = sql`to_tsvector('simple', parley_fold(m.body))`;
/** A LIKE pattern matching the folded term anywhere (its %, _ and \ taken literally). */
const containing = (term: SearchTerm) => sql`'%' || replace(replace(replace(parley_fold(${term.text}), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`;
/** A regular expression for the folded term at the start of a word (and at its end too, for a phrase). */
const atWordStart = (term: SearchTerm) =>
  sql`'\\m' || regexp_replace(parley_fold(${term.text}), '([.^$*+?()\\[\\]{}|\\\\])', '\\\\\\1', 'g') || ${term.phrase ? "\\M" : ""}`;

/** The tiers of search.ts as queries over the two indexes. */
export function postgresSearch(db: Kysely<any>, query: SearchQuery): SearchTiers {
  const matching = (condition: RawBuilder<unknown>, tier: number, kind: MatchKind, score: RawBuilder<unknown> = sql`0`, limit = query.window) =>
    sql<{ id: number; score: number }>`
      SELECT m.id, ${score}::float8 AS score
        FROM messages AS m
        JOIN conversation_members AS cm ON cm.conversation_id = m.conversation_id AND cm.user_id = ${query.userId}
       WHERE m.deleted_at IS NULL AND m.body <> '' AND m.conversation_id = coalesce(${query.conversationId}::bigint, m.conversation_id) AND ${condition}
       ORDER BY m.id DESC
       LIMIT ${limit}`
      .execute(db)
      .then(({ rows }) => rows.map((row): SearchHit => ({ id: row.id, score: row.score, tier, kind })));
  const all = (conditions: RawBuilder<unknown>[]) => sql.join(conditions, sql` AND `);
  return {
    async words(terms) {
      const tsquery = sql.join(
        terms.map((t) => sql`phraseto_tsquery('simple', parley_fold(${t.text}))`),
        sql` && `,
      );
      // ts_rank: higher is better; hits order lower scores first (as bm25), hence the minus.
      return matching(sql`${document} @@ (${tsquery})`, 0, "word", sql`-ts_rank(${document}, ${tsquery})`, query.rankWindow);
    },
    prefixes: (terms) => matching(all(terms.map((t) => sql`parley_fold(m.body) ~ (${atWordStart(t)})`)), 1, "prefix"),
    substrings: (long, short) => matching(all([...long, ...short].map((t) => sql`parley_fold(m.body) LIKE ${containing(t)}`)), 2, "substring"),
    async scan(terms) {
      // The newest 20,000 of the user's messages, then the terms among them: a bounded cost, as on SQLite.
      const { rows } = await sql<{ id: number }>`
        SELECT id FROM (
          SELECT m.id, m.body FROM messages AS m
            JOIN conversation_members AS cm ON cm.conversation_id = m.conversation_id AND cm.user_id = ${query.userId}
           WHERE m.deleted_at IS NULL AND m.conversation_id = coalesce(${query.conversationId}::bigint, m.conversation_id)
           ORDER BY m.id DESC LIMIT 20000) AS recent
         WHERE ${all(terms.map((t) => sql`parley_fold(recent.body) LIKE ${containing(t)}`))}
         ORDER BY id DESC LIMIT ${query.window}`.execute(db);
      return rows.map((row) => ({ id: row.id, tier: 3, kind: "substring" as const, score: 0 }));
    },
  };
}
