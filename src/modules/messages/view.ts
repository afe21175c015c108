// The API's JSON for a message, built in one place for REST answers, history and live events.
import type { ConversationRow } from "../../db/schema";
import type { FileUrls } from "../files/urls";
import type { MessageView, ReactionView } from "./model";
import type { MessageRecord } from "./repository";

export type { MessageView, ReactionView };

/** Reactions as stored: emoji → the ids of the users who reacted, in order. */
export type StoredReactions = Record<string, number[]>;

export const parseReactions = (json: string | null): StoredReactions => (json ? JSON.parse(json) : {});

export function reactionViews(reactions: StoredReactions, viewerId: number | null): ReactionView[] {
  return Object.entries(reactions).map(([emoji, users]) => ({ emoji, count: users.length, me: viewerId !== null && users.includes(viewerId), users }));
}

/** Who a message went to, in the original's terms: the other side of a direct conversation (null for a group). */
function receiverUser(conversation: Pick<ConversationRow, "kind" | "direct_key">, senderId: number): number | null {
  if (conversation.kind === "group") return null;
  const [a, b] = conversation.direct_key!.split(":").map(Number) as [number, number];
  return senderId === a ? b : a;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `viewerId`: whose "did I react" the reactions answer (null in events, which every member shares). */
export function toMessageView(
  record: MessageRecord,
  conversation: Pick<ConversationRow, "id" | "kind" | "direct_key">,
  urls: FileUrls,
  now = Date.now(),
  viewerId: number | null = null,
): MessageView {
  const deleted = record.deleted_at !== null;
  const expired = record.file_id !== null && (record.file_deleted_at !== null || (record.file_expires_at !== null && record.file_expires_at <= now));
  return {
    id: record.id,
    conversation_id: record.conversation_id,
    sender: record.sender_id,
    sender_username: record.sender_username,
    sender_is_bot: !!record.sender_is_bot,
    sender_display_name: record.display_name,
    via_webhook: !!record.via_webhook,
    receiver_user: receiverUser(conversation, record.sender_id),
    receiver_group: conversation.kind === "group" ? conversation.id : null,
    message: record.body,
    file: record.file_id === null || expired ? null : urls.sign(record.file_id, now),
    attachment:
      record.file_id === null
        ? null
        : {
            name: record.file_name!,
            size: Number(record.file_size),
            content_type: record.file_content_type!,
            expires_at: isoOrNull(record.file_expires_at),
            expired,
          },
    timestamp: new Date(record.created_at).toISOString(),
    client_id: record.client_id,
    deleted,
    edited_at: isoOrNull(record.edited_at),
    reply_to: record.reply_to_id,
    reply_count: record.reply_count,
    reactions: record.reactions ? reactionViews(parseReactions(record.reactions), viewerId) : [],
    mentions: record.mentions ? JSON.parse(record.mentions) : [],
    pinned: record.pinned_at !== null,
  };
}
