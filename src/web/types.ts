// The shapes the client reads from the public API: the server's schemas' types (type-only: nothing of the server is bundled).
import type { ReactionView } from "../modules/messages/model";
import type { searchAnswer } from "../modules/search/model";
import type { errorFrame, eventData, helloFrame, presenceFrame, resyncFrame, typingFrame } from "../modules/realtime/model";
export type { MessageView as Message } from "../modules/messages/model";
export type { ConversationView as Conversation, DirectoryEntry as DirectoryGroup, GroupView as Group, ReadState } from "../modules/conversations/model";
export type { PublicUser as User } from "../modules/users/model";
export type { FileInfo } from "../modules/files/model";
export type { AdminUser, AdminGroup } from "../modules/admin/model";
export type { LoginResult as LoginAnswer } from "../modules/auth/model";
export type { PushSubscriptionView as PushSubscription, SubscribeBody as PushSubscriptionBody } from "../modules/push/model";
import type { PushKey as PushKeySchema } from "../modules/push/model";
export type PushKey = typeof PushKeySchema.static;

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

export type Presence = (typeof presenceFrame.static)["data"];

/** The `data` of each /ws frame, by `type`: the schemas the AsyncAPI document publishes (src/modules/realtime/model.ts). */
export type SocketEvents = { [K in keyof typeof eventData]: (typeof eventData)[K]["static"] } & {
  hello: (typeof helloFrame.static)["data"];
  typing: (typeof typingFrame.static)["data"];
  presence: Presence;
  /** The log no longer reaches back to where the client stopped: refetch over REST. */
  resync: (typeof resyncFrame.static)["data"];
  error: (typeof errorFrame.static)["data"];
};
