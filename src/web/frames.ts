// What each live event from /ws does to the client's state: one function per frame type.
import type { ChatStore } from "./store";
import type { Frame, Message, ReadState } from "./types";

const TYPING_SHOWN_MS = 4_000;

/** What a frame may need besides the store: the server (to refetch) and the read marker. */
export interface FrameContext {
  readonly store: ChatStore;
  refreshConversations(): Promise<void>;
  markRead(conversationId: number): void;
  /** The conversation is open, on screen and scrolled to its newest message. */
  isReading(conversationId: number): boolean;
}

type FrameHandler = (chat: FrameContext, frame: Frame) => void;

function messageCreated(chat: FrameContext, frame: Frame) {
  const { store } = chat;
  const message = frame.data as Message;
  const id = message.conversation_id;
  const known = store.conversations.has(id);
  store.confirm(message);
  store.typing.get(id)?.delete(message.sender);
  store.emit({ kind: "typing", conversationId: id });
  if (!known) void chat.refreshConversations(); // someone started a conversation with me: counted below too
  if (message.sender === store.me.id) return;
  store.emit({ kind: "arrived", message });
  if (chat.isReading(id)) chat.markRead(id);
  else if (message.id > (store.readSent.get(id) ?? 0)) {
    store.unread.set(id, (store.unread.get(id) ?? 0) + 1);
    const conversation = store.conversations.get(id);
    if (conversation && message.mentions.includes(store.me.id)) conversation.mention_count++;
    store.emit({ kind: "list" });
  }
}

function messageDeleted({ store }: FrameContext, frame: Frame) {
  const id = frame.conversation_id;
  const message = id === undefined ? undefined : store.findMessage(id, frame.data.id);
  if (message) {
    if (!message.deleted && message.reply_to) store.countReply(message, -1);
    Object.assign(message, { deleted: true, message: "", file: null, attachment: null, reactions: [], mentions: [], pinned: false });
    store.emit({ kind: "message", message });
  }
  const conversation = id === undefined ? undefined : store.conversations.get(id);
  const last = conversation?.last_message;
  if (conversation && last && last.id === frame.data.id) {
    conversation.last_message = { ...last, deleted: true, message: "", attachment: null, file: null };
    store.emit({ kind: "list" });
  }
}

function messageUpdated({ store }: FrameContext, frame: Frame) {
  const edit = frame.data as { id: number; conversation_id: number; message: string; edited_at: string | null };
  const message = store.findMessage(edit.conversation_id, edit.id);
  if (message) {
    // The event's reactions (when it carries them) have no `me`: keep the ones held.
    const { reactions: _, ...fields } = frame.data as Partial<Message>;
    Object.assign(message, fields);
    store.emit({ kind: "message", message });
  }
  const last = store.conversations.get(edit.conversation_id)?.last_message;
  if (last?.id === edit.id) {
    Object.assign(last, { message: edit.message, edited_at: edit.edited_at });
    store.emit({ kind: "list" });
  }
}

/** Someone reacted or took a reaction back: the count is the server's, who reacted is kept here. */
function reactionChanged({ store }: FrameContext, frame: Frame) {
  const { message_id, emoji, user_id, count } = frame.data as { message_id: number; emoji: string; user_id: number; count: number };
  const message = frame.conversation_id === undefined ? undefined : store.findMessage(frame.conversation_id, message_id);
  if (!message) return;
  const added = frame.type === "reaction.added";
  let reaction = message.reactions.find((r) => r.emoji === emoji);
  if (!reaction) message.reactions.push((reaction = { emoji, count, me: false, users: [] }));
  reaction.users = [...reaction.users.filter((id) => id !== user_id), ...(added ? [user_id] : [])];
  reaction.count = count;
  if (user_id === store.me.id) reaction.me = added;
  message.reactions = message.reactions.filter((r) => r.count > 0);
  store.emit({ kind: "message", message });
}

function pinChanged({ store }: FrameContext, frame: Frame) {
  const message = frame.conversation_id === undefined ? undefined : store.findMessage(frame.conversation_id, frame.data.message_id);
  if (!message) return;
  message.pinned = frame.type === "message.pinned";
  store.emit({ kind: "message", message });
}

/** Retention removed the conversation's oldest messages. */
function messagesExpired(chat: FrameContext, frame: Frame) {
  const id = frame.conversation_id;
  if (id === undefined) return;
  const history = chat.store.histories.get(id);
  if (history) {
    history.messages = history.messages.filter((m) => m.id > frame.data.up_to_id);
    chat.store.emit({ kind: "history", conversationId: id, messages: history.messages, pending: chat.store.pendingOf(id) });
  }
  void chat.refreshConversations();
}

function membershipChanged(chat: FrameContext, frame: Frame) {
  const id = frame.conversation_id;
  if (frame.type === "member.left" && frame.data.user_id === chat.store.me.id && id !== undefined) return chat.store.forget(id);
  void chat.refreshConversations().then(() => chat.store.emit({ kind: "members", conversationId: id }));
}

/** My own read state, from any of my devices: the server's counts are the truth. */
function readStateChanged(chat: FrameContext, frame: Frame) {
  const state = frame.data as ReadState;
  const conversation = chat.store.conversations.get(state.conversation_id);
  if (conversation) {
    const { conversation_id: _, ...fields } = state;
    Object.assign(conversation, fields);
  }
  chat.store.unread.set(state.conversation_id, state.unread_count);
  chat.store.emit({ kind: "list" });
  if (state.unread_count) chat.markRead(state.conversation_id);
}

function conversationChanged(chat: FrameContext) {
  void chat.refreshConversations();
}

function readMoved({ store }: FrameContext, frame: Frame) {
  const id = frame.conversation_id;
  if (id === undefined) return;
  const { user_id, message_id } = frame.data as { user_id: number; message_id: number };
  const conversation = store.conversations.get(id);
  if (user_id === store.me.id) {
    store.readSent.set(id, Math.max(store.readSent.get(id) ?? 0, message_id));
    if ((conversation?.last_message?.id ?? 0) <= message_id && store.unread.get(id)) {
      store.unread.set(id, 0);
      store.emit({ kind: "list" });
    }
    return;
  }
  const member = conversation?.members.find((m) => m.id === user_id);
  if (member) member.last_read_message_id = Math.max(member.last_read_message_id ?? 0, message_id);
  store.emit({ kind: "read-markers", conversationId: id });
}

function typing({ store }: FrameContext, frame: Frame) {
  const id = frame.conversation_id;
  if (id === undefined || frame.data.user_id === store.me.id) return;
  let users = store.typing.get(id);
  if (!users) store.typing.set(id, (users = new Map()));
  users.set(frame.data.user_id, { username: frame.data.username, until: Date.now() + TYPING_SHOWN_MS });
  store.emit({ kind: "typing", conversationId: id });
  setTimeout(() => store.emit({ kind: "typing", conversationId: id }), TYPING_SHOWN_MS + 50);
}

function presence({ store }: FrameContext, frame: Frame) {
  store.presence.set(frame.data.user_id, frame.data.status);
  store.emit({ kind: "presence" });
}

function serverError({ store }: FrameContext, frame: Frame) {
  if (frame.data?.code !== "rate_limited") store.emit({ kind: "notice", text: `The server refused an action: ${frame.data?.message ?? "unknown error"}` });
}

const frameHandlers: Record<string, FrameHandler> = {
  "message.created": messageCreated,
  "message.deleted": messageDeleted,
  "message.updated": messageUpdated,
  "messages.expired": messagesExpired,
  "reaction.added": reactionChanged,
  "reaction.removed": reactionChanged,
  "message.pinned": pinChanged,
  "message.unpinned": pinChanged,
  "member.joined": membershipChanged,
  "member.left": membershipChanged,
  unread: readStateChanged,
  mute: readStateChanged,
  "conversation.updated": conversationChanged,
  "member.updated": conversationChanged,
  read: readMoved,
  typing,
  presence,
  error: serverError,
};

/** Runs the frame's handler; types this client does not know are ignored. */
export function receiveFrame(chat: FrameContext, frame: Frame) {
  if (Object.hasOwn(frameHandlers, frame.type)) frameHandlers[frame.type]!(chat, frame);
}
