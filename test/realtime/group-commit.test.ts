// The group commit (core/commit.ts) on whichever database the suite runs on: works that arrive together share
// one transaction; one that fails is rolled back alone, the others commit with their events, in order. (On
// PostgreSQL the batch first runs without savepoints, then again isolated when a job failed: both paths are here.)
import { describe, expect, test } from "bun:test";
import { AppError } from "../../src/lib/errors";
import { commitWithEvents } from "../../src/core/commit";
import { sendMessage } from "../../src/modules/messages/service";
import { makeApp, queryRows, registerUser } from "../helpers";
import { createGroup, waitFor } from "../chat-helpers";

const { parley, api } = await makeApp();
const alice = await registerUser(api, "batcher");
const group = await createGroup(api, alice, []);
const author = { id: alice.id, username: alice.username, is_staff: 0 } as never;

/** A job that writes a message row and then fails: nothing of it may stay. */
const failingJob = (text: string) =>
  commitWithEvents(parley.ctx, async (tx, emit) => {
    await tx.db.insertInto("messages").values({ conversation_id: group.id, sender_id: alice.id, body: text, created_at: Date.now() }).execute();
    await emit({ type: "conversation.updated", conversation_id: group.id, data: { text } });
    throw new AppError(409, "conflict", `refused: ${text}`);
  });

const rowsWith = async (text: string) => (await queryRows(parley, "SELECT id FROM messages WHERE body = ?", [text])).length;
const eventsMentioning = async (text: string) =>
  (await queryRows<{ data: string }>(parley, "SELECT data FROM events")).filter((e) => e.data.includes(text)).length;

describe("group commit", () => {
  test("a failing work in a batch is rolled back alone; the others commit, with their events in order", async () => {
    const before = (await queryRows<{ seq: number | null }>(parley, "SELECT max(seq) AS seq FROM events"))[0]!.seq ?? 0;
    // Started in one event-loop turn: one batch.
    const first = sendMessage(parley.ctx, author, group.id, { message: "batch first" });
    const failing = failingJob("batch failing");
    const last = sendMessage(parley.ctx, author, group.id, { message: "batch last" });
    const [a, b, c] = await Promise.allSettled([first, failing, last]);
    expect(a.status).toBe("fulfilled");
    expect(c.status).toBe("fulfilled");
    expect(b.status).toBe("rejected");
    expect(((b as PromiseRejectedResult).reason as AppError).message).toBe("refused: batch failing");
    expect(await rowsWith("batch failing")).toBe(0);
    expect(await eventsMentioning("batch failing")).toBe(0);
    const firstId = (a as PromiseFulfilledResult<{ message: { id: number } }>).value.message.id;
    const lastId = (c as PromiseFulfilledResult<{ message: { id: number } }>).value.message.id;
    // (Which send reaches the batch first depends on its reads before it; ids and seqs follow that one order.)
    const logged = await queryRows<{ seq: number; message_id: number }>(parley, "SELECT seq, message_id FROM events WHERE seq > ? ORDER BY seq", [before]);
    expect(logged.map((e) => e.message_id)).toEqual([firstId, lastId].sort((x, y) => x - y));
    expect(logged[1]!.seq).toBe(logged[0]!.seq + 1); // no seq taken by the rolled-back work stays in between
  });

  test("a batch of one failing work writes nothing and rejects with its own error", async () => {
    await expect(failingJob("alone failing")).rejects.toThrow("refused: alone failing");
    expect(await rowsWith("alone failing")).toBe(0);
    expect(await eventsMentioning("alone failing")).toBe(0);
  });

  test("fifty sends at once all commit: message ids and event seqs in the same order, the hub publishes every one", async () => {
    const published: number[] = [];
    parley.ctx.hub.onDeliver((event) => {
      if (event.type === "message.created") published.push(event.seq);
    });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => sendMessage(parley.ctx, author, group.id, { message: `many ${i}` })));
    const ids = results.map((r) => r.message.id);
    const logged = await queryRows<{ seq: number; message_id: number }>(
      parley,
      `SELECT seq, message_id FROM events WHERE message_id IN (${ids.map(() => "?").join(",")}) ORDER BY seq`,
      ids,
    );
    expect(logged.map((e) => e.message_id)).toEqual([...ids].sort((x, y) => x - y));
    // Published in seq order; at once, even past the seqs the failed works above left unused (a hole is read from the
    // log, not waited out).
    expect(await waitFor(() => published.length >= 50, 200)).toBe(true);
    expect(published.slice(-50)).toEqual(logged.map((e) => e.seq));
  });

  test("text with a lone surrogate commits, alone or in a batch, stored with U+FFFD in its place", async () => {
    const [odd, plain] = await Promise.all([
      sendMessage(parley.ctx, author, group.id, { message: "lone \ud800 surrogate" }),
      sendMessage(parley.ctx, author, group.id, { message: "plain beside it" }),
    ]);
    expect(await queryRows(parley, "SELECT body FROM messages WHERE id = ?", [odd.message.id])).toEqual([{ body: "lone \ufffd surrogate" }]);
    expect(await rowsWith("plain beside it")).toBe(1);
    expect(plain.created).toBe(true);
    const alone = await sendMessage(parley.ctx, author, group.id, { message: "alone \udc00" });
    expect(await queryRows(parley, "SELECT body FROM messages WHERE id = ?", [alone.message.id])).toEqual([{ body: "alone \ufffd" }]);
  });

  test("a row refused at the commit (one client_id twice in a batch): the batch runs again isolated, one row, the retry answered with it", async () => {
    const clientId = `batched-${crypto.randomUUID()}`;
    // No read before the commit sees the other: the duplicate is found by the unique index when the rows go in.
    const [first, other, again] = await Promise.all([
      sendMessage(parley.ctx, author, group.id, { message: "twice", client_id: clientId }),
      sendMessage(parley.ctx, author, group.id, { message: "between" }),
      sendMessage(parley.ctx, author, group.id, { message: "twice", client_id: clientId }),
    ]);
    expect([first.created, again.created].sort()).toEqual([false, true]);
    expect(again.message.id).toBe(first.message.id);
    expect(other.created).toBe(true);
    expect(await queryRows(parley, "SELECT id FROM messages WHERE client_id = ?", [clientId])).toEqual([{ id: first.message.id }]);
    expect(await eventsMentioning(clientId)).toBe(1);
  });
});
