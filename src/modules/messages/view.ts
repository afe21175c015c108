// The API's JSON for a message, built in one place for REST answers, history and live events.
import type { ConversationRow } from "../../db/schema";
import type { FileUrls } from "../files/urls";
import type { MessageRecord } from "./repository";

export interface MessageView {
  id: number;
  conversation_id: number;
  sender: number;
  sender_username: string;
  receiver_user: number | null;
  receiver_group: number | null;
  message: string;
  file: string | null;
  attachment: { name: string; size: number; content_type: string; expires_at: string | null; expired: boolean } | null;
  timestamp: string;
  client_id: string | null;
  /** A tombstone: the message was deleted; its text and file are gone, its place in the history stays. */
  deleted: boolean;
}

/** Who a message went to, in the original's terms: the other side of a direct conversation, or the group. */
function receivers(conversation: Pick<ConversationRow, "id" | "kind" | "direct_key">, senderId: number) {
  if (conversation.kind === "group") return { receiver_user: null, receiver_group: conversation.id };
  const [a, b] = conversation.direct_key!.split(":").map(Number) as [number, number];
  return { receiver_user: senderId === a ? b : a, receiver_group: null };
}

export function toMessageView(record: MessageRecord, conversation: Pick<ConversationRow, "id" | "kind" | "direct_key">, urls: FileUrls, now = Date.now()): MessageView {
  const deleted = record.deleted_at !== null;
  const expired = record.file_id !== null && (record.file_deleted_at !== null || (record.file_expires_at !== null && record.file_expires_at <= now));
  return {
    id: record.id,
    conversation_id: record.conversation_id,
    sender: record.sender_id,
    sender_username: record.sender_username,
    ...receivers(conversation, record.sender_id),
    message: record.body,
    file: record.file_id === null || expired ? null : urls.sign(record.file_id, now),
    attachment:
      record.file_id === null
        ? null
        : {
            name: record.file_name!,
            size: Number(record.file_size),
            content_type: record.file_content_type!,
            expires_at: record.file_expires_at === null ? null : new Date(record.file_expires_at).toISOString(),
            expired,
          },
    timestamp: new Date(record.created_at).toISOString(),
    client_id: record.client_id,
    deleted,
  };
}
