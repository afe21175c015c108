// Table types, declared once. Times are epoch milliseconds; booleans are stored as 0/1.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

type Bool = ColumnType<number, number | boolean, number | boolean>;
/** A 0/1 column with a default: optional on insert. */
type DefaultBool = ColumnType<number, number | boolean | undefined, number | boolean>;

export interface UserTable {
  id: Generated<number>;
  username: string;
  /** Case-folded username, unique: "Alice" and "alice" are the same account name. */
  username_key: string;
  /** Normalized (trimmed, lower-case) and unique. */
  email: string;
  first_name: string;
  last_name: string;
  password_hash: string;
  is_active: Bool;
  is_staff: Bool;
  is_superuser: Bool;
  date_joined: number;
  /** Bumped when every token of the user must stop working (password change, deactivation). */
  token_generation: Generated<number>;
  /** A bot account: never logs in with a password; works through API tokens and webhooks. */
  is_bot: DefaultBool;
}

/** A long-lived API token (see modules/integrations/api-tokens.ts); only its SHA-256 is kept. */
export interface ApiTokenTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** SHA-256 of the whole token, hex. */
  hash: string;
  /** Space-separated: read, write, admin. */
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

/** An incoming (Slack-compatible) webhook: posts into one conversation as its bot. */
export interface IncomingWebhookTable {
  id: Generated<number>;
  conversation_id: number;
  bot_id: number;
  name: string;
  /** SHA-256 of the URL's secret, hex. */
  secret_hash: string;
  created_by: number | null;
  created_at: number;
}

export interface RevokedTokenTable {
  jti: string;
  /** When the token would have expired anyway; the row can be swept after that. */
  expires_at: number;
}

/** A single-use ticket for opening a WebSocket (see modules/auth/ws-tickets.ts). */
export interface WsTicketTable {
  /** SHA-256 of the ticket, hex. */
  hash: string;
  user_id: number;
  /** The claims (JSON) of the access token that asked for it: the ticket dies with that token. */
  claims: string;
  expires_at: number;
}

export interface ConversationTable {
  id: Generated<number>;
  kind: "group" | "direct";
  /** Group name; null for direct conversations. */
  name: string | null;
  /** Case-folded group name, unique among groups. */
  name_key: string | null;
  /** "<smaller user id>:<larger user id>" for direct conversations, unique. */
  direct_key: string | null;
  created_by: number | null;
  created_at: number;
  /** Groups: messages older than this many days are deleted by the sweeper; null follows PARLEY_MESSAGE_RETENTION. */
  retention_days: Generated<number | null>;
  /** A private group is joined only by being added by its owners or admins; 0 for an open one (and for direct conversations). */
  private: Bool;
  /** Its messages that are not tombstones, kept by triggers (see MemberTable.read_live). */
  live_messages: Generated<number>;
}

export interface MemberTable {
  conversation_id: number;
  user_id: number;
  role: "owner" | "admin" | "member";
  joined_at: number;
  last_read_message_id: number | null;
  /** Muted: unread messages stop counting as notifications; mentions still do. */
  muted: DefaultBool;
  /** Live messages at or before last_read_message_id; unread = live_messages − read_live − own_after_read (migrations/0016). */
  read_live: Generated<number>;
  /** The member's own live messages after last_read_message_id (kept by triggers, as read_live). */
  own_after_read: Generated<number>;
}

export interface FileTable {
  id: Generated<number>;
  uploader_id: number | null;
  /** Server-made file name under <data dir>/uploads/; never derived from the client's name. */
  storage_name: string;
  original_name: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: number;
  /** Null when files never expire. */
  expires_at: number | null;
  /** Set when the sweeper removed the bytes. */
  deleted_at: number | null;
}

export interface MessageTable {
  id: Generated<number>;
  conversation_id: number;
  sender_id: number;
  body: string;
  file_id: number | null;
  created_at: number;
  /** The sender's de-duplication key for retried sends. */
  client_id: string | null;
  /** Set when the message was deleted: the row stays as a tombstone, its text and file are gone. */
  deleted_at: number | null;
  edited_at: Generated<number | null>;
  /** The message this one answers, in the same conversation. */
  reply_to_id: Generated<number | null>;
  /** Replies that are not deleted. */
  reply_count: Generated<number>;
  /** JSON {"emoji": [user ids, in the order they reacted]}; null when none. */
  reactions: Generated<string | null>;
  /** JSON [user ids] mentioned with @username; null when none. */
  mentions: Generated<string | null>;
  pinned_at: Generated<number | null>;
  pinned_by: Generated<number | null>;
  /** Posted through an incoming webhook. */
  via_webhook: DefaultBool;
  /** The name a webhook post asked to be shown as (Slack's `username`); null otherwise. */
  display_name: Generated<string | null>;
}

export interface MentionTable {
  user_id: number;
  message_id: number;
  conversation_id: number;
}

export interface EventTable {
  seq: Generated<number>;
  conversation_id: number;
  user_id: number | null;
  type: string;
  /** The event's `data`, as JSON text. */
  data: string;
  created_at: number;
  /** For user_id alone, not for the conversation's members. */
  private: DefaultBool;
  /** The message the event is about (its text may be in `data`). */
  message_id: Generated<number | null>;
}

export interface Database {
  users: UserTable;
  revoked_tokens: RevokedTokenTable;
  ws_tickets: WsTicketTable;
  conversations: ConversationTable;
  conversation_members: MemberTable;
  files: FileTable;
  messages: MessageTable;
  message_mentions: MentionTable;
  events: EventTable;
  settings: SettingTable;
  push_subscriptions: PushSubscriptionTable;
  api_tokens: ApiTokenTable;
  incoming_webhooks: IncomingWebhookTable;
  outgoing_webhooks: OutgoingWebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
}

/** A browser's Web Push subscription (see modules/push). */
export interface PushSubscriptionTable {
  id: Generated<number>;
  user_id: number;
  /** The push service's URL for this browser: a capability, never logged. */
  endpoint: string;
  /** The browser's P-256 public key and auth secret, base64url. */
  p256dh: string;
  auth: string;
  /** The owner's token generation when subscribed: sent to only while it is still theirs. */
  generation: number;
  created_at: number;
}

/** A URL subscribed to a conversation's events (see modules/webhooks/outgoing.ts). */
export interface OutgoingWebhookTable {
  id: Generated<number>;
  conversation_id: number;
  url: string;
  /** The HMAC key of X-Parley-Signature: kept as is (the signature needs it), shown to its managers. */
  secret: string;
  /** Space-separated subscriptions: message.created, message.mentioned, message.updated, message.deleted, member. */
  events: string;
  /** The bot whose mentions `message.mentioned` follows, and who posts the receiver's replies. */
  bot_id: number | null;
  created_by: number | null;
  created_at: number;
  /** Events up to this seq are queued already. */
  cursor_seq: number;
  lease_until: number | null;
  lease_owner: string | null;
  disabled_at: number | null;
  disabled_reason: string | null;
}

export interface WebhookDeliveryTable {
  id: Generated<number>;
  webhook_id: number;
  event_seq: number;
  event_type: string;
  /** The event's JSON, as /ws sends it: the POST body. */
  body: string;
  status: "pending" | "delivered" | "failed";
  attempts: Generated<number>;
  created_at: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  response_ms: number | null;
}

export interface SettingTable {
  name: string;
  value: string;
}

export type UserRow = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type ConversationRow = Selectable<ConversationTable>;
export type MemberRow = Selectable<MemberTable>;
export type FileRow = Selectable<FileTable>;
export type MessageRow = Selectable<MessageTable>;
