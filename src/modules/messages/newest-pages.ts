// The newest page of a conversation, serialized once and kept until the conversation changes. Opening a room
// reads exactly this page, by far the most frequent read of a chat server; everyone in a busy room asks for it.
interface Page {
  json: string;
  madeAt: number;
  /** Pages with reactions say "did I react" and so belong to one viewer; null: the same for everyone. */
  viewerId: number | null;
}

/** Entries live at most this long: they hold signed file URLs (valid for at least PARLEY_FILE_URL_TTL) and expiry flags. */
const MAX_AGE_MS = 30_000;
const CAPACITY = 2_000;

export class NewestPages {
  private readonly byConversation = new Map<number, Map<number, Page>>();
  private size = 0;

  get(conversationId: number, limit: number, viewerId: number, now = Date.now()): string | undefined {
    const page = this.byConversation.get(conversationId)?.get(limit);
    return page && now - page.madeAt < MAX_AGE_MS && (page.viewerId === null || page.viewerId === viewerId) ? page.json : undefined;
  }

  set(conversationId: number, limit: number, json: string, viewerId: number | null, now = Date.now()) {
    if (this.size >= CAPACITY) this.clear(); // rare, and cheaper than tracking recency on every read
    let pages = this.byConversation.get(conversationId);
    if (!pages) this.byConversation.set(conversationId, (pages = new Map()));
    if (!pages.has(limit)) this.size++;
    pages.set(limit, { json, madeAt: now, viewerId });
  }

  forget(conversationId: number) {
    this.size -= this.byConversation.get(conversationId)?.size ?? 0;
    this.byConversation.delete(conversationId);
  }

  clear() {
    this.byConversation.clear();
    this.size = 0;
  }
}
