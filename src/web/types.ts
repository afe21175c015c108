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
