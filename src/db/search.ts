// Full-text search, the one small adapter over two engines: FTS5 on SQLite (search-sqlite.ts) and tsvector + pg_trgm on
// PostgreSQL (search-postgres.ts). Both answer the same tiers of match; the order of asking is decided here, once.
import { isKysely, type Connection } from "./prepared";
import { sqliteSearch } from "./search-sqlite";
import { postgresSearch } from "./search-postgres";
import type { SearchHit, SearchQuery } from "./search-types";

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
export const hasCjk = (text: string) => CJK.test(text);
const length = (text: string) => [...text].length;

/**
 * The caller's matching messages, unordered, from the best kind of match down, each kind asked only while fewer than
 * `wanted` were found: whole words and phrases, then words as prefixes, then substrings of three or more characters
 * (the only kind for CJK terms, which have no spaces), then, for one- and two-character CJK terms, a bounded scan.
 * Only messages of conversations the user is a member of are ever read. `counts` says which hits count towards
 * `wanted` (those after a page's cursor: a later page needs the kinds below the ones earlier pages showed).
 */
export async function searchMessages(
  reader: Connection,
  query: SearchQuery,
  wanted: number,
  counts: (hit: SearchHit) => boolean = () => true,
): Promise<SearchHit[]> {
  const tiers = isKysely(reader) ? postgresSearch(reader, query) : sqliteSearch(reader, query);
  const { terms } = query;
  const hits: SearchHit[] = [];
  const seen = new Set<number>();
  let counted = 0;
  const add = (rows: SearchHit[]) => {
    for (const row of rows) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      hits.push(row);
      if (counts(row)) counted++;
    }
  };
  if (!terms.some((t) => hasCjk(t.text))) {
    add(await tiers.words(terms));
    // Prefix queries read a word's whole posting list, so they come only when whole words found too little.
    if (counted < wanted && terms.some((t) => !t.phrase)) add(await tiers.prefixes(terms));
  }
  if (counted < wanted) {
    const long = terms.filter((t) => length(t.text) >= 3);
    const short = terms.filter((t) => length(t.text) < 3);
    if (long.length && !short.some((t) => hasCjk(t.text))) add(await tiers.substrings(long, short));
    else if (short.some((t) => hasCjk(t.text))) add(await tiers.scan(terms));
  }
  return hits;
}
