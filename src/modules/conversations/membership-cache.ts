// Who is a member of what, as this node last read it: every send, read and reaction passes the membership guard,
// and a database read for each was a fifth of a send's cost. Only memberships are kept (never "not a member", which
// a join changes without anyone having read it), with the conversation's row, and a conversation is forgotten when
// an event changes its members or its row (member.joined/left/updated, conversation.updated): on this node at the
// commit, from other nodes when their events arrive (app.ts). A membership can also end with its account (deleted
// without events), but that account can no longer authenticate and its rows can no longer be inserted.
import type { ConversationRow, MemberRow } from "../../db/schema";
import type { EventType } from "../../core/event-types";

export interface Membership {
  conversation: ConversationRow;
  role: MemberRow["role"];
}

/** Conversations kept at most; past that the cache starts over (rare, and cheaper than tracking recency). */
const CAPACITY = 20_000;

const CHANGES_MEMBERSHIP: ReadonlySet<EventType> = new Set<EventType>(["member.joined", "member.left", "member.updated", "conversation.updated"]);

export class MembershipCache {
  private readonly byConversation = new Map<number, { conversation: ConversationRow; roles: Map<number, Membership> }>();
  /** Bumped by every change: a read that began before one must not be kept (it may have read what was before). */
  private epoch = 0;
  /** Reads under way, by conversation and user, with the epoch each began in. */
  private readonly reading = new Map<string, { version: number; read: Promise<unknown> }>();

  get(conversationId: number, userId: number): Membership | undefined {
    return this.byConversation.get(conversationId)?.roles.get(userId);
  }

  /** The epoch to hand back to `set` with what a read found. */
  get version(): number {
    return this.epoch;
  }

  set(version: number, userId: number, membership: Membership) {
    if (version !== this.epoch) return;
    const id = membership.conversation.id;
    let entry = this.byConversation.get(id);
    if (!entry) {
      if (this.byConversation.size >= CAPACITY) this.byConversation.clear();
      this.byConversation.set(id, (entry = { conversation: Object.freeze(membership.conversation), roles: new Map() }));
    }
    entry.roles.set(userId, { conversation: entry.conversation, role: membership.role });
  }

  /**
   * The read of one membership, shared by the callers that need it in the same epoch (a first burst of sends into a
   * conversation reads it once, not once per send); a caller after a change starts a read of its own.
   */
  readOnce<T>(conversationId: number, userId: number, read: () => Promise<T>): Promise<T> {
    const key = `${conversationId}:${userId}`;
    const under = this.reading.get(key);
    if (under?.version === this.epoch) return under.read as Promise<T>;
    const entry = {
      version: this.epoch,
      read: read().finally(() => {
        if (this.reading.get(key) === entry) this.reading.delete(key);
      }),
    };
    this.reading.set(key, entry);
    return entry.read;
  }

  /** Forgets the conversation when the event changes who is in it, their roles, or its row. */
  changed(event: { type: EventType; conversation_id: number }) {
    if (!CHANGES_MEMBERSHIP.has(event.type)) return;
    this.epoch++;
    this.byConversation.delete(event.conversation_id);
  }

  clear() {
    this.epoch++;
    this.byConversation.clear();
  }
}
