// The kinds of logged events; a file of its own (no imports) so the schemas of their frames can name them.
export type EventType =
  | "message.created"
  | "message.updated"
  | "message.deleted"
  | "messages.expired"
  | "message.pinned"
  | "message.unpinned"
  | "reaction.added"
  | "reaction.removed"
  | "member.joined"
  | "member.left"
  | "member.updated"
  | "conversation.updated"
  | "read"
  | "unread"
  | "mute"
  | "webhook.disabled";
