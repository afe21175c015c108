import { t } from "elysia";
import { Message } from "../messages/model";

export const MAX_QUERY_LENGTH = 200;

export const searchQuery = t.Object({
  q: t.String({ minLength: 1, maxLength: MAX_QUERY_LENGTH, error: `q must be 1 to ${MAX_QUERY_LENGTH} characters.` }),
  conversation_id: t.Optional(t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, error: "conversation_id must be a conversation id." })),
  before: t.Optional(t.String({ maxLength: 100, error: "before must be the `next` cursor of a previous page." })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, error: "limit must be from 1 to 100." })),
});
export type SearchQueryParams = typeof searchQuery.static;

export const SearchResult = t.Composite(
  [
    Message,
    t.Object({
      snippet: t.String({ description: "Plain text around the match (never HTML)." }),
      highlights: t.Array(t.Tuple([t.Integer(), t.Integer()]), { description: "[start, end) offsets in snippet (UTF-16 code units) of the matched text." }),
    }),
  ],
  { title: "SearchResult" },
);
export type SearchResult = typeof SearchResult.static;

export const searchAnswer = t.Object({
  results: t.Array(SearchResult),
  next: t.Nullable(t.String({ description: "Pass as `before` for the next page; null on the last page." })),
});
