// Searching the caller's messages. The query is parsed here into plain terms; the database adapter turns them into
// its own query language (FTS5 on SQLite), so no user input is ever read as query syntax.
import type { AppContext } from "../../context";
import { searchMessages } from "../../db/search";
import type { SearchHit, SearchTerm } from "../../db/search-types";
import { AppError, invalidField } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import type { AuthUser } from "../auth/service";
import { requireMember } from "../conversations/membership";
import { findMessagesByIds } from "../messages/repository";
import { viewsAcrossConversations } from "../messages/service";
import { makeSnippet } from "./highlight";
import type { SearchQueryParams, SearchResult } from "./model";
import { defineRead } from "../../lib/read-pool";

const MAX_TERMS = 12;
/**
 * The newest matches ranked per query: very common words cost a bounded amount, and rare ones are all found. A
 * first page of a newest-first kind needs only its own length and one more (see SearchQuery.window).
 */
const RANK_WINDOW = 2_000;

/** Words and "quoted phrases"; terms with no letter or digit are dropped (the tokenizers would drop them anyway). */
function parseTerms(q: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const [, phrase, word] of q.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const text = (phrase ?? word ?? "").trim();
    if (/[\p{L}\p{N}]/u.test(text)) terms.push({ text, phrase: phrase !== undefined });
  }
  if (terms.length === 0) invalidField("q", "Give at least one word to search for.");
  if (terms.length > MAX_TERMS) invalidField("q", `Use at most ${MAX_TERMS} words.`);
  return terms;
}

/** Best first: word matches before substring matches, then by bm25, then newest. */
const order = (a: SearchHit, b: SearchHit) => a.tier - b.tier || a.score - b.score || b.id - a.id;

const encodeCursor = (hit: SearchHit) => Buffer.from(JSON.stringify([hit.tier, hit.score, hit.id])).toString("base64url");
function decodeCursor(text: string): SearchHit {
  try {
    const [tier, score, id] = JSON.parse(Buffer.from(text, "base64url").toString());
    if ([tier, score, id].every((v) => typeof v === "number" && Number.isFinite(v))) return { tier, score, id, kind: "word" };
  } catch {}
  return invalidField("before", "before must be the `next` cursor of a previous page.");
}

/** Terms are always quoted, so the index should never refuse them; but what a user typed must never be a 500. */
async function guarded<T>(ctx: AppContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AppError) throw error; // the read pool's own (busy, shutting down)
    ctx.log.warn("search failed", { error: String(error) });
    throw new AppError(400, "bad_request", "Cannot search for that; try other words.");
  }
}

export async function search(ctx: AppContext, user: AuthUser, params: SearchQueryParams): Promise<{ results: SearchResult[]; next: string | null }> {
  await enforce(ctx.limits.searchPerUser, String(user.id), "Too many searches; slow down.");
  const terms = parseTerms(params.q);
  const conversationId = params.conversation_id ?? null;
  if (conversationId !== null) await requireMember(ctx, conversationId, user.id);
  const after = params.before === undefined ? null : decodeCursor(params.before);
  await ctx.searchIndexer.catchUp(); // every message sent before this search is found by it
  return guarded(ctx, () => ctx.reads.run(searchPage, user.id, terms, conversationId, after, params.limit ?? 20));
}

/** A search reads as many index entries as the words match, however well bounded: off the event loop. */
const searchPage = defineRead(
  "search.page",
  async (ctx, userId: number, terms: SearchTerm[], conversationId: number | null, after: SearchHit | null, limit: number) => {
    const isAfter = (hit: SearchHit) => !after || order(hit, after) > 0;
    // One more than a page: whether there is a next one.
    const query = { userId, terms, conversationId, window: after ? RANK_WINDOW : limit + 1, rankWindow: RANK_WINDOW };
    const hits = (await searchMessages(ctx.reader, query, limit + 1, isAfter)).sort(order);
    const rest = hits.filter(isAfter);
    const page = rest.slice(0, limit);
    const found = new Map(
      (
        await findMessagesByIds(
          ctx.reader,
          page.map((h) => h.id),
        )
      ).map((r) => [r.id, r]),
    );
    // A message deleted between the index read and now is left out.
    const shown = page.flatMap((hit) => {
      const record = found.get(hit.id);
      return record && record.deleted_at === null ? [{ hit, record }] : [];
    });
    const views = await viewsAcrossConversations(
      ctx,
      shown.map((s) => s.record),
      userId,
    );
    const results = shown.map(({ hit, record }, i) => ({ ...views[i]!, ...makeSnippet(record.body, terms, hit.kind) }));
    return { results, next: rest.length > limit ? encodeCursor(page.at(-1)!) : null };
  },
);
