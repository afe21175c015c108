// One typed method per REST operation (README "The chat API", the OpenAPI document at /swagger/json).
import type {
  AdminGroup,
  AdminUser,
  Conversation,
  DirectoryGroup,
  FileInfo,
  Group,
  Message,
  Presence,
  PushKey,
  PushSubscription,
  PushSubscriptionBody,
  Reactions,
  ReadState,
  SearchAnswer,
  User,
} from "../web/types";
import type { ApiToken, ApiTokenCreated } from "../modules/auth/model";
import type { Delivery, IncomingWebhook, IncomingWebhookSecret, OutgoingWebhook, OutgoingWebhookSecret, Subscription } from "../modules/webhooks/model";
import { type Answer, Http } from "./http";

type Scope = "read" | "write" | "admin";
/** A new API token: `expires_at` an ISO date-time, or absent/null for one that never expires. */
export type NewToken = { name: string; scopes: Scope[]; expires_at?: string | null };
export type NewOutgoingWebhook = { url: string; events: Subscription[]; bot_id?: number | null };

type Role = "owner" | "admin" | "member";
type Page = { before?: number; limit?: number };
type Done = { message: string };
export type ProfileFields = { username: string; email: string; password: string; first_name: string; last_name: string; current_password?: string };

/** An XMLHttpRequest upload, which reports progress (fetch does not). */
function xhrUpload(url: string, form: FormData, token: string, onProgress: (fraction: number) => void): Promise<Answer> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {}
      resolve({ status: xhr.status, body, retryAfter: xhr.getResponseHeader("retry-after") });
    };
    xhr.onerror = xhr.onabort = () => resolve({ status: 0, body: null, retryAfter: null });
    xhr.send(form);
  });
}

export class Rest extends Http {
  // ---- accounts ----
  register(fields: { username: string; email: string; password: string; first_name?: string; last_name?: string }) {
    return this.call<{ user: User; message: string }>("POST", "/api/register/", { body: fields, auth: false });
  }
  /** Checks the access token: `{message, email}`. */
  checkToken() {
    return this.call<{ message: string; email: string }>("GET", "/api/users/protected/");
  }
  /** A single-use ticket for opening /ws (ParleySocket asks for one itself). */
  wsTicket() {
    return this.call<{ ticket: string; expires_in: number }>("POST", "/api/ws-ticket/");
  }
  user(id: number) {
    return this.call<User>("GET", `/api/${id}/`);
  }
  /** The logged-in user's profile. */
  me() {
    return this.user(this.session?.user.id ?? 0);
  }
  lookupUser(username: string) {
    return this.call<User>("GET", "/api/users/lookup/", { query: { username } });
  }
  updateUser(id: number, changes: Partial<ProfileFields>) {
    return this.call<User>("PATCH", `/api/${id}/update/`, { body: changes });
  }
  replaceUser(id: number, fields: ProfileFields) {
    return this.call<User>("PUT", `/api/${id}/update/`, { body: fields });
  }
  deleteUser(id: number) {
    return this.call<null>("DELETE", `/api/${id}/delete/`);
  }
  presence(userIds: number[]) {
    return this.call<Presence[]>("GET", "/api/presence/", { query: { user_ids: userIds.join(",") } });
  }

  // ---- groups ----
  createGroup(name: string, members: number[] = [], isPrivate = false) {
    return this.call<Group>("POST", "/api/groups/create/", { body: { name, members, private: isPrivate } });
  }
  groups() {
    return this.call<Group[]>("GET", "/api/groups/");
  }
  groupDirectory(query: Page & { q?: string } = {}) {
    return this.call<DirectoryGroup[]>("GET", "/api/groups/directory/", { query });
  }
  joinGroup(id: number) {
    return this.call<Done>("POST", `/api/groups/${id}/join/`);
  }
  leaveGroup(id: number) {
    return this.call<Done>("POST", `/api/groups/${id}/leave/`);
  }
  updateGroup(id: number, changes: { name?: string; private?: boolean; retention_days?: number | null }) {
    return this.call<Group>("PATCH", `/api/groups/${id}/`, { body: changes });
  }
  addMember(groupId: number, userId: number) {
    return this.call<Group>("POST", `/api/groups/${groupId}/members/`, { body: { user_id: userId } });
  }
  changeRole(groupId: number, userId: number, role: Role) {
    return this.call<Group>("PATCH", `/api/groups/${groupId}/members/${userId}/`, { body: { role } });
  }
  removeMember(groupId: number, userId: number) {
    return this.call<Group>("DELETE", `/api/groups/${groupId}/members/${userId}/`);
  }

  // ---- conversations ----
  conversations() {
    return this.call<Conversation[]>("GET", "/api/conversations/");
  }
  /** The direct conversation with a user, created on first use. */
  direct(userId: number) {
    return this.call<Conversation>("POST", "/api/conversations/direct/", { body: { user_id: userId } });
  }
  pins(conversationId: number) {
    return this.call<Message[]>("GET", `/api/conversations/${conversationId}/pins/`);
  }
  markRead(conversationId: number, messageId: number) {
    return this.call<ReadState>("POST", `/api/conversations/${conversationId}/read/`, { body: { message_id: messageId } });
  }
  mute(conversationId: number, muted = true) {
    return this.call<ReadState>(muted ? "POST" : "DELETE", `/api/conversations/${conversationId}/mute/`);
  }

  // ---- messages ----
  /** Newest first; `before` pages back, `after` forward (oldest first), `around` centres on a message, `page` as the original. */
  messages(conversationId: number, query: Page & { after?: number; around?: number; page?: number } = {}) {
    return this.call<Message[]>("GET", `/api/messages/${conversationId}/`, { query });
  }
  /** Sends over REST; the same `client_id` again returns the first message and stores nothing. */
  sendMessage(conversationId: number, body: { message: string; client_id?: string; reply_to?: number | null }) {
    return this.call<Message>("POST", `/api/messages/${conversationId}/send/`, { body });
  }
  /** Sends a file (multipart); `onProgress` gets the uploaded fraction where the platform reports it (browsers). */
  sendFile(
    conversationId: number,
    file: Blob,
    {
      name = "file",
      message = "",
      client_id,
      reply_to,
      onProgress,
    }: { name?: string; message?: string; client_id?: string; reply_to?: number; onProgress?: (fraction: number) => void } = {},
  ) {
    const path = `/api/messages/${conversationId}/send/`;
    const form = new FormData();
    form.append("message", message);
    if (client_id) form.append("client_id", client_id);
    if (reply_to) form.append("reply_to", String(reply_to));
    form.append("file", file, (file as File).name || name);
    const upload = onProgress && typeof XMLHttpRequest !== "undefined" ? (token: string) => xhrUpload(this.url(path), form, token, onProgress) : undefined;
    return this.call<Message>("POST", path, { body: form, upload });
  }
  editMessage(conversationId: number, messageId: number, message: string) {
    return this.call<Message>("PATCH", `/api/messages/${conversationId}/${messageId}/`, { body: { message } });
  }
  deleteMessage(conversationId: number, messageId: number) {
    return this.call<null>("DELETE", `/api/messages/${conversationId}/${messageId}/`);
  }
  react(conversationId: number, messageId: number, emoji: string) {
    return this.call<Reactions>("POST", `/api/messages/${conversationId}/${messageId}/reactions/`, { body: { emoji } });
  }
  unreact(conversationId: number, messageId: number, emoji: string) {
    return this.call<Reactions>("DELETE", `/api/messages/${conversationId}/${messageId}/reactions/${encodeURIComponent(emoji)}/`);
  }
  replies(conversationId: number, messageId: number, query: { after?: number; limit?: number } = {}) {
    return this.call<Message[]>("GET", `/api/messages/${conversationId}/${messageId}/replies/`, { query });
  }
  pin(conversationId: number, messageId: number, pinned = true) {
    return this.call<Message>(pinned ? "POST" : "DELETE", `/api/messages/${conversationId}/${messageId}/pin/`);
  }
  mentions(query: Page = {}) {
    return this.call<Message[]>("GET", "/api/mentions/", { query });
  }
  /** `before`: the `next` cursor of the previous page. */
  search(query: { q: string; conversation_id?: number; before?: string; limit?: number }) {
    return this.call<SearchAnswer>("GET", "/api/search/", { query });
  }
  /** A message's attachment, with a fresh signed `file_url` (the one in the message lives minutes). */
  fileInfo(messageId: number) {
    return this.call<FileInfo>("GET", `/api/messages/files/${messageId}/`);
  }

  // ---- staff ----
  adminUsers(query: Page & { q?: string } = {}) {
    return this.call<AdminUser[]>("GET", "/api/admin/users/", { query });
  }
  setActive(userId: number, active: boolean) {
    return this.call<AdminUser>("POST", `/api/admin/users/${userId}/${active ? "reactivate" : "deactivate"}/`);
  }
  adminDeleteMessage(messageId: number) {
    return this.call<null>("DELETE", `/api/admin/messages/${messageId}/`);
  }
  adminGroups(query: Page & { q?: string } = {}) {
    return this.call<AdminGroup[]>("GET", "/api/admin/groups/", { query });
  }

  // ---- Web Push ----
  /** The server's VAPID public key (base64url): `applicationServerKey` for `pushManager.subscribe`. */
  pushKey() {
    return this.call<PushKey>("GET", "/api/push/key/", { auth: false });
  }
  /** Registers a browser's subscription (`PushSubscription.toJSON()`); the same endpoint again renews it. */
  subscribePush(subscription: PushSubscriptionBody) {
    return this.call<PushSubscription>("POST", "/api/push/subscriptions/", { body: subscription });
  }
  unsubscribePush(endpoint: string) {
    return this.call<null>("DELETE", "/api/push/subscriptions/", { body: { endpoint } });
  }

  // ---- bots ----
  bots() {
    return this.call<AdminUser[]>("GET", "/api/admin/bots/");
  }
  createBot(username: string, displayName: string) {
    return this.call<AdminUser>("POST", "/api/admin/bots/", { body: { username, display_name: displayName } });
  }
  botTokens(botId: number) {
    return this.call<(typeof ApiToken.static)[]>("GET", `/api/admin/bots/${botId}/tokens/`);
  }
  /** The answer's `token` is shown this once. */
  createBotToken(botId: number, token: NewToken) {
    return this.call<typeof ApiTokenCreated.static>("POST", `/api/admin/bots/${botId}/tokens/`, { body: token });
  }
  revokeBotToken(botId: number, tokenId: number) {
    return this.call<null>("DELETE", `/api/admin/bots/${botId}/tokens/${tokenId}/`);
  }

  // ---- integrations: API tokens, incoming and outgoing webhooks ----
  tokens() {
    return this.call<(typeof ApiToken.static)[]>("GET", "/api/tokens/");
  }
  /** The answer's `token` (parley_…) is shown this once: give it as the Bearer token of scripts and bots. */
  createToken(token: NewToken) {
    return this.call<typeof ApiTokenCreated.static>("POST", "/api/tokens/", { body: token });
  }
  revokeToken(tokenId: number) {
    return this.call<null>("DELETE", `/api/tokens/${tokenId}/`);
  }
  webhooks(conversationId: number) {
    return this.call<(typeof IncomingWebhook.static)[]>("GET", `/api/conversations/${conversationId}/webhooks/`);
  }
  /** The answer's `url` is shown this once. */
  createWebhook(conversationId: number, name: string) {
    return this.call<typeof IncomingWebhookSecret.static>("POST", `/api/conversations/${conversationId}/webhooks/`, { body: { name } });
  }
  renameWebhook(conversationId: number, webhookId: number, name: string) {
    return this.call<typeof IncomingWebhook.static>("PATCH", `/api/conversations/${conversationId}/webhooks/${webhookId}/`, { body: { name } });
  }
  rotateWebhook(conversationId: number, webhookId: number) {
    return this.call<typeof IncomingWebhookSecret.static>("POST", `/api/conversations/${conversationId}/webhooks/${webhookId}/rotate/`);
  }
  deleteWebhook(conversationId: number, webhookId: number) {
    return this.call<null>("DELETE", `/api/conversations/${conversationId}/webhooks/${webhookId}/`);
  }
  outgoingWebhooks(conversationId: number) {
    return this.call<(typeof OutgoingWebhook.static)[]>("GET", `/api/conversations/${conversationId}/outgoing-webhooks/`);
  }
  /** The answer's `secret` (the signing key) is shown this once. */
  createOutgoingWebhook(conversationId: number, webhook: NewOutgoingWebhook) {
    return this.call<typeof OutgoingWebhookSecret.static>("POST", `/api/conversations/${conversationId}/outgoing-webhooks/`, { body: webhook });
  }
  deleteOutgoingWebhook(conversationId: number, webhookId: number) {
    return this.call<null>("DELETE", `/api/conversations/${conversationId}/outgoing-webhooks/${webhookId}/`);
  }
  webhookDeliveries(conversationId: number, webhookId: number) {
    return this.call<(typeof Delivery.static)[]>("GET", `/api/conversations/${conversationId}/outgoing-webhooks/${webhookId}/deliveries/`);
  }
  retryDelivery(conversationId: number, webhookId: number, deliveryId: number) {
    return this.call<typeof OutgoingWebhook.static>(
      "POST",
      `/api/conversations/${conversationId}/outgoing-webhooks/${webhookId}/deliveries/${deliveryId}/retry/`,
    );
  }
}
