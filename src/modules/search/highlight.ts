// Snippets with highlights, made from the message text in JavaScript (the same for every database): matching is
// case- and diacritic-insensitive like the index ("bucher" marks "Bücher"), and offsets point into the plain text.
import type { MatchKind, SearchTerm } from "../../db/search-types";

export interface Snippet {
  snippet: string;
  /** [start, end) in UTF-16 code units of `snippet`. */
  highlights: [number, number][];
}

const SNIPPET_LENGTH = 160;
const LEAD = 40;

/** Lower case without accents, with a map from each folded unit back to where it came from in the original. */
function fold(text: string): { folded: string; from: number[]; to: number[] } {
  // Plain ASCII folds by lower case alone, one unit to one unit (the common case, and far cheaper).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, control characters included
  if (/^[\x00-\x7f]*$/.test(text)) {
    const from = Array.from({ length: text.length }, (_, i) => i);
    return { folded: text.toLowerCase(), from, to: from.map((i) => i + 1) };
  }
  let folded = "";
  const from: number[] = [];
  const to: number[] = [];
  let index = 0;
  for (const char of text) {
    // ß reads as ss (search finds "Straße" for "strasse"): fold it so the highlight lands on it too.
    const plain = char === "ß" || char === "ẞ" ? "ss" : char.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase() || char;
    for (let i = 0; i < plain.length; i++) {
      from.push(index);
      to.push(index + char.length);
    }
    folded += plain;
    index += char.length;
  }
  return { folded, from, to };
}

const foldTerm = (text: string) => fold(text).folded.replace(/\s+/g, " ").trim();
const isWordChar = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}]/u.test(char);

/** Where the terms occur in `body`: whole words, word starts, or anywhere, by the kind of match that found it. */
export function findRanges(body: string, terms: SearchTerm[], kind: MatchKind): [number, number][] {
  const { folded, from, to } = fold(body);
  const ranges: [number, number][] = [];
  for (const term of terms) {
    const needle = foldTerm(term.text);
    if (!needle) continue;
    for (let at = folded.indexOf(needle); at >= 0; at = folded.indexOf(needle, at + 1)) {
      const end = at + needle.length;
      const startsWord = !isWordChar(folded[at - 1]);
      const endsWord = !isWordChar(folded[end]);
      const fits = kind === "substring" || (startsWord && (kind === "prefix" ? (term.phrase ? endsWord : true) : endsWord));
      if (fits) ranges.push([from[at]!, to[end - 1]!]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

/** The text around the first match (the whole message when short), with the matches' offsets in it. */
export function makeSnippet(body: string, terms: SearchTerm[], kind: MatchKind): Snippet {
  const ranges = findRanges(body, terms, kind);
  if (body.length <= SNIPPET_LENGTH) return { snippet: body, highlights: ranges };
  let start = Math.max(0, (ranges[0]?.[0] ?? 0) - LEAD);
  if (start > 0 && /[\uDC00-\uDFFF]/.test(body[start]!)) start--; // never split a surrogate pair
  let end = Math.min(body.length, start + SNIPPET_LENGTH);
  if (end < body.length && /[\uDC00-\uDFFF]/.test(body[end]!)) end++;
  const prefix = start > 0 ? "…" : "";
  const snippet = prefix + body.slice(start, end) + (end < body.length ? "…" : "");
  const shift = prefix.length - start;
  const highlights = ranges
    .filter(([s, e]) => e > start && s < end)
    .map(([s, e]) => [Math.max(s, start) + shift, Math.min(e, end) + shift] as [number, number]);
  return { snippet, highlights };
}
