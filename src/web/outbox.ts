// Messages being sent: shown at once as pending, retried with the same client_id (stored once however often it
// arrives), and confirmed by the send's answer or the socket's message.created, whichever comes first. Text goes
// over the socket (queued there while offline), files over REST (with upload progress).
import { type ParleyClient, ParleyError, type ParleySocket } from "../client";
import { INLINE_IMAGE_TYPES } from "./inline-images";
import type { ChatStore, PendingMessage } from "./store";
import type { Message } from "./types";
import { messageOf } from "./words";

export class Outbox {
  constructor(
    private readonly api: ParleyClient,
    private readonly live: ParleySocket,
    private readonly store: ChatStore,
  ) {}

  send(conversationId: number, text: string, file: File | null, replyTo?: number) {
    const p: PendingMessage = {
      client_id: crypto.randomUUID(),
      conversation_id: conversationId,
      text,
      file,
      reply_to: replyTo,
      previewUrl: file && INLINE_IMAGE_TYPES.has(file.type) ? URL.createObjectURL(file) : null,
      status: "sending",
      progress: 0,
      error: "",
      retryable: false,
      attempts: 0,
    };
    this.store.pending.set(p.client_id, p);
    this.store.emit({ kind: "pending", pending: p });
    void this.attemptSend(p);
  }

  async attemptSend(p: PendingMessage) {
    if (!this.store.pending.has(p.client_id)) return;
    p.status = "sending";
    p.error = "";
    p.attempts++;
    this.store.emit({ kind: "pending", pending: p });
    try {
      const onProgress = (fraction: number) => {
        p.progress = fraction;
        this.store.emit({ kind: "progress", pending: p });
      };
      const message: Message = p.file
        ? await this.api.sendFile(p.conversation_id, p.file, { message: p.text, client_id: p.client_id, reply_to: p.reply_to, onProgress })
        : await this.live.send(p.conversation_id, p.text, { client_id: p.client_id, reply_to: p.reply_to });
      this.store.confirm(message);
    } catch (error) {
      if (!this.store.pending.has(p.client_id)) return; // confirmed over the socket meanwhile
      p.status = "failed";
      p.retryable = error instanceof ParleyError && error.transient;
      p.error = messageOf(error);
      this.store.emit({ kind: "pending", pending: p });
      // Transient failures are retried by themselves a few times (and again when the connection returns).
      if (p.retryable && p.attempts < 4) setTimeout(() => p.status === "failed" && void this.attemptSend(p), 1000 * 2 ** p.attempts);
    }
  }

  /** The connection is back: what failed for want of it goes again. */
  retryFailed() {
    for (const p of this.store.pending.values()) if (p.status === "failed" && p.retryable) void this.attemptSend(p);
  }

  discard(p: PendingMessage) {
    this.store.pending.delete(p.client_id);
    if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
    this.store.emit({ kind: "pending-gone", conversationId: p.conversation_id, clientId: p.client_id, previewUrl: null });
  }

  /** Frees the blob: previews still held (the app is closing). */
  close() {
    for (const p of this.store.pending.values()) if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
  }
}
