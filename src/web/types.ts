// The shapes the client reads from the public API (REST and /ws), as the README documents them.

export interface User {
  id: number;
  username: string;
  email?: string;
  first_name: string;
  last_name: string;
}

export interface Attachment {
  name: string;
  size: number;
  content_type: string;
  expires_at: string | null;
  expired: boolean;
}

export interface Message {
  id: number;
  conversation_id: number;
  sender: number;
  sender_username: string;
  message: string;
  file: string | null;
  attachment: Attachment | null;
  timestamp: string;
  client_id: string | null;
  deleted: boolean;
  /** Set once the sender edited it (servers with message editing). */
  edited_at?: string | null;
}

export interface Member {
  id: number;
  username: string;
  first_name: string;
  last_name: string;
  role: string;
  last_read_message_id?: number | null;
}

export interface Conversation {
  id: number;
  kind: "group" | "direct";
  name: string;
  members: Member[];
  last_message: Message | null;
  created_at: string;
  /** Present once the server counts unread messages; the client counts live arrivals otherwise. */
  unread_count?: number;
  mention_count?: number;
  muted?: boolean;
}

export interface DirectoryGroup {
  id: number;
  name: string;
  member_count: number;
  is_member: boolean;
}

/** A frame from /ws: `{type, conversation_id?, seq?, data}`. */
export interface Frame {
  type: string;
  conversation_id?: number;
  seq?: number;
  ref?: string | number;
  data: any;
}
