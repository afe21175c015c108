// Full-text search, the one small adapter over two engines: FTS5 on SQLite (search-sqlite.ts) and tsvector + pg_trgm on
// PostgreSQL (search-postgres.ts). Both answer the same tiers of match; the order of asking is decided here, once.
import { isKysely, type Connection } from "./prepared";
import { sqliteSearch } from "./search-sqlite";
import { postgresSearch } from "./search-postgres";

/** One search term as the user wrote it: a word, or a "quoted phrase". */
export interface SearchTerm {
  text: string;
  phrase: boolean;
}

export type MatchKind = "word" | "prefix" | "substring";

export interface SearchHit {
  id: number;
  /** Better kinds first: whole words and phrases, then word prefixes, then substrings. */
  tier: number;
  kind: MatchKind;
  /** bm25: lower is better (0 where the index gives no score). */
  score: number;
}

export interface SearchQuery {
  userId: number;
  terms: SearchTerm[];
  conversationId: number | null;
  /** How many of the newest matches of each kind are ranked: very common words cost a bounded amount. */
  window: number;
}

/** What each engine answers: the caller's matching messages of one tier, newest first, at most `query.window`. */
export interface SearchTiers {
  /** Tier 0: every term as a whole word or phrase. */
  words(terms: SearchTerm[]): Promise<SearchHit[]>;
  /** Tier 1: words as prefixes of words (phrases still whole). */
  prefixes(terms: SearchTerm[]): Promise<SearchHit[]>;
  /** Tier 2: `long` terms (3+ characters) anywhere in the text, found through the trigram index; `short` ones also present. */
  substrings(long: SearchTerm[], short: SearchTerm[]): Promise<SearchHit[]>;
  /** Tier 3: one- and two-character CJK terms, below trigrams' reach: a bounded scan of the newest messages. */
  scan(terms: SearchTerm[]): Promise<SearchHit[]>;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
export const hasCjk = (text: string) => CJK.test(text);
const length = (text: string) => [...text].length;

/**
 * The caller's matching messages, unordered, from the best kind of match down, each kind asked only while fewer than
 * `wanted` were found: whole words and phrases, then words as prefixes, then substrings of three or more characters
 * (the only kind for CJK terms, which have no spaces), then, for one- and two-character CJK terms, a bounded scan.
 * Only messages of conversations the user is a member of are ever read.
 */
export async function searchMessages(reader: Connection, query: SearchQuery, wanted: number): Promise<SearchHit[]> {
  const tiers = isKysely(reader) ? postgresSearch(reader, query) : sqliteSearch(reader, query);
  const { terms } = query;
  const hits: SearchHit[] = [];
  const seen = new Set<number>();
  const add = (rows: SearchHit[]) => {
    for (const row of rows) if (!seen.has(row.id)) seen.add(row.id), hits.push(row);
  };
  if (!terms.some((t) => hasCjk(t.text))) {
    add(await tiers.words(terms));
    // Prefix queries read a word's whole posting list, so they come only when whole words found too little.
    if (hits.length < wanted && terms.some((t) => !t.phrase)) add(await tiers.prefixes(terms));
  }
  if (hits.length < wanted) {
    const long = terms.filter((t) => length(t.text) >= 3);
    const short = terms.filter((t) => length(t.text) < 3);
    if (long.length && !short.some((t) => hasCjk(t.text))) add(await tiers.substrings(long, short));
    else if (short.some((t) => hasCjk(t.text))) add(await tiers.scan(terms));
  }
  return hits;
}
