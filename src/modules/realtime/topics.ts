// Bun pub/sub topic names: one per conversation, one per user, one per conversation for the original's endpoint.
export const conversationTopic = (id: number) => `c:${id}`;
export const userTopic = (id: number) => `u:${id}`;
export const legacyTopic = (id: number) => `legacy:${id}`;
