// Bun pub/sub topic names: one per conversation, one per conversation for the original's endpoint (a user's own
// frames are sent to their sockets directly: see Hub.sendToUser).
export const conversationTopic = (id: number) => `c:${id}`;
export const legacyTopic = (id: number) => `legacy:${id}`;
