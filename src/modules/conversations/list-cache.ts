// Each user's conversation list, serialized once and kept until one of their conversations changes. Building one
// reads a few rows per conversation (a few ms for a member of 500, in a read worker), and clients ask for the whole
// list on every start and reconnect, while the sockets carry the changes in between.
interface List {
  json: string;
  madeAt: number;
}

/** Entries live at most this long: last messages hold signed file URLs and expiry flags, and renames send no event. */
const MAX_AGE_MS = 30_000;
/** Lists of busy members are hundreds of KB: bound the bytes, not the count. */
const CAPACITY_CHARS = 8 * 1024 * 1024;
/** And the count, for the many users with short lists. */
const CAPACITY_LISTS = 10_000;

export class ConversationLists {
  private readonly byUser = new Map<number, List>();
  /** Who holds a list naming each conversation; may name users whose list already went (they are skipped). */
  private readonly holders = new Map<number, Set<number>>();
  /** When each conversation or user last changed (in `epoch`s) while lists were being read: those are not kept. */
  private readonly conversationChanged = new Map<number, number>();
  private readonly userChanged = new Map<number, number>();
  private epoch = 0;
  private reading = 0;
  private clearedAt = 0;
  private chars = 0;

  get(userId: number, now = Date.now()): string | undefined {
    const list = this.byUser.get(userId);
    return list && now - list.madeAt < MAX_AGE_MS ? list.json : undefined;
  }

  /** The user's list: kept, or built by `build` and kept unless something it names changed while it was read. */
  async load(userId: number, build: () => Promise<{ conversationIds: number[]; json: string }>): Promise<string> {
    const cached = this.get(userId);
    if (cached !== undefined) return cached;
    const startedAt = this.epoch;
    this.reading++;
    try {
      const { conversationIds, json } = await build();
      if (this.unchangedSince(startedAt, userId, conversationIds)) this.set(userId, conversationIds, json);
      return json;
    } finally {
      // With no read in flight, no change can spoil one: forget them all.
      if (--this.reading === 0) {
        this.conversationChanged.clear();
        this.userChanged.clear();
      }
    }
  }

  private unchangedSince(startedAt: number, userId: number, conversationIds: number[]): boolean {
    if (this.clearedAt > startedAt || (this.userChanged.get(userId) ?? 0) > startedAt) return false;
    return !conversationIds.some((id) => (this.conversationChanged.get(id) ?? 0) > startedAt);
  }

  private set(userId: number, conversationIds: number[], json: string, now = Date.now()) {
    // Rare, and cheaper than tracking recency on every read.
    if (this.chars + json.length > CAPACITY_CHARS || this.byUser.size >= CAPACITY_LISTS) this.clear();
    this.drop(userId);
    this.byUser.set(userId, { json, madeAt: now });
    this.chars += json.length;
    for (const id of conversationIds) {
      let holders = this.holders.get(id);
      if (!holders) this.holders.set(id, (holders = new Set()));
      holders.add(userId);
    }
  }

  /** Something in the conversation changed (a message, a member, someone's read marker): its members' lists go. */
  forgetConversation(conversationId: number) {
    this.epoch++;
    if (this.reading) this.conversationChanged.set(conversationId, this.epoch);
    const holders = this.holders.get(conversationId);
    if (!holders) return;
    this.holders.delete(conversationId);
    for (const userId of holders) this.drop(userId);
  }

  /** The user's own list changed without naming the conversation yet (they joined one). */
  forgetUser(userId: number) {
    this.epoch++;
    if (this.reading) this.userChanged.set(userId, this.epoch);
    this.drop(userId);
  }

  clear() {
    this.clearedAt = ++this.epoch;
    this.byUser.clear();
    this.holders.clear();
    this.chars = 0;
  }

  private drop(userId: number) {
    const list = this.byUser.get(userId);
    if (!list) return;
    this.chars -= list.json.length;
    this.byUser.delete(userId);
  }
}
