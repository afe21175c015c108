// The shapes both search engines share (search-sqlite.ts, search-postgres.ts) and the adapter (search.ts) speaks.

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
  /**
   * How many of the newest matches of each newest-first kind are read: a first page needs one more than it shows,
   * a later page (a cursor) the whole `rankWindow`. Very common words cost a bounded amount either way.
   */
  window: number;
  /** How many of the newest matches a ranked kind (bm25, ts_rank) ranks, on every page. */
  rankWindow: number;
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
