// The shapes the client reads from the public API: the server's schemas' types (type-only: nothing of the server is bundled).
export type { MessageView as Message } from "../modules/messages/model";
export type { ConversationView as Conversation, DirectoryEntry as DirectoryGroup } from "../modules/conversations/model";
export type { PublicUser as User } from "../modules/users/model";

/** A frame from /ws: `{type, conversation_id?, seq?, data}`. */
export interface Frame {
  type: string;
  conversation_id?: number;
  seq?: number;
  ref?: string | number;
  data: any;
}

// The rest of the REST answers the typed client (src/client/) returns.

export interface Group {
  id: number;
  name: string;
  members: number[];
  created_by: number | null;
  created_at: string;
  private: boolean;
  retention_days: number | null;
  roles: { user_id: number; role: "owner" | "admin" | "member" }[];
}

export interface ReadState {
  conversation_id: number;
  last_read_message_id: number | null;
  unread_count: number;
  mention_count: number;
  muted: boolean;
  notification_count: number;
}

export interface Reactions {
  message_id: number;
  reactions: { emoji: string; count: number; me: boolean }[];
}

export interface SearchAnswer {
  results: (Message & { snippet: string; highlights: [number, number][] })[];
  next: string | null;
}

export interface FileInfo {
  file_url: string;
  name: string;
  size: number;
  content_type: string;
  expires_at: string | null;
}

export interface AdminUser {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: string;
}

export interface AdminGroup {
  id: number;
  name: string;
  member_count: number;
  created_by: number | null;
  created_at: string;
}

export interface Presence {
  user_id: number;
  status: "online" | "offline";
}

export interface LoginAnswer {
  access: string;
  refresh: string;
  email: string;
  name: string;
  id: number;
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
