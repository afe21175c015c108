// The shapes the client reads from the public API: the server's schemas' types (type-only: nothing of the server is bundled).
import type { MessageView as Message, ReactionView } from "../modules/messages/model";
import type { ReadState } from "../modules/conversations/model";
import type { searchAnswer } from "../modules/search/model";
export type { MessageView as Message } from "../modules/messages/model";
export type { ConversationView as Conversation, DirectoryEntry as DirectoryGroup, GroupView as Group, ReadState } from "../modules/conversations/model";
export type { PublicUser as User } from "../modules/users/model";
export type { FileInfo } from "../modules/files/model";
export type { AdminUser, AdminGroup } from "../modules/admin/model";
export type { LoginResult as LoginAnswer } from "../modules/auth/model";

/** A frame from /ws: `{type, conversation_id?, seq?, data}`. */
export interface Frame {
  type: string;
  conversation_id?: number;
  seq?: number;
  ref?: string | number;
  data: any;
}

// The rest of the REST answers the typed client (src/client/) returns.

export interface Reactions {
  message_id: number;
  reactions: ReactionView[];
}

export type SearchAnswer = typeof searchAnswer.static;

export interface Presence {
  user_id: number;
  status: "online" | "offline";
}

/** The `data` of each /ws frame, by `type` (README "Real time: the WebSocket gateway"). */
export interface SocketEvents {
  hello: { user: { id: number; username: string }; conversations: number[]; seq: number };
  "message.created": Message;
  "message.updated": { id: number; conversation_id: number; message: string; edited_at: string | null; mentions: number[] };
  "message.deleted": { id: number; conversation_id: number };
  "messages.expired": { conversation_id: number; up_to_id: number };
  "member.joined": { user_id: number; role: string; kind: "group" | "direct"; name: string; added_by?: number; username?: string };
  "member.left": { user_id: number; username?: string; removed_by?: number };
  "member.updated": { user_id: number; role: string; previous_role: string; updated_by: number };
  "conversation.updated": { id: number; name: string; private: boolean; updated_by: number };
  "reaction.added": { message_id: number; emoji: string; user_id: number; count: number };
  "reaction.removed": { message_id: number; emoji: string; user_id: number; count: number };
  "message.pinned": { message_id: number; user_id: number };
  "message.unpinned": { message_id: number; user_id: number };
  read: { user_id: number; message_id: number };
  unread: ReadState;
  mute: ReadState;
  typing: { user_id: number; username: string };
  presence: Presence;
  /** The log no longer reaches back to where the client stopped: refetch over REST. */
  resync: { reason: string; seq: number };
  error: { code: string; message: string; ref?: string | number; retry_after?: number };
}
