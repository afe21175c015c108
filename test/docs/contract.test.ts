// The per-response contract check of the test helpers (test/contract.ts) refuses what the document does not describe:
// the suite passing with it on means every answer the tests saw was documented.
import { describe, expect, test } from "bun:test";
import { checkResponse } from "../contract";
import { makeApp, registerUser } from "../helpers";

const { parley, api } = await makeApp();
const fetchDocument = () => parley.app.handle(new Request("http://localhost/swagger/json"));
const json = { "content-type": "application/json; charset=utf-8" };

/** The check's verdict on a made-up answer: "" when it passes, else its message. */
async function verdict(method: string, path: string, status: number, body: unknown, headers: Record<string, string> = json): Promise<string> {
  const text = body === undefined ? "" : JSON.stringify(body);
  try {
    await checkResponse(fetchDocument, method, `http://localhost${path}`, status, new Headers(headers), body ?? null, text);
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}

describe("the contract check", () => {
  test("passes the real answers of a send, a replayed send, a history page and a delete", async () => {
    const alice = await registerUser(api, "alice");
    const group = await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "contract" } });
    expect(group.status).toBe(201);
    const first = await api("POST", `/api/messages/${group.body.id}/send/`, { token: alice.access, body: { message: "hi", client_id: "k1" } });
    const again = await api("POST", `/api/messages/${group.body.id}/send/`, { token: alice.access, body: { message: "hi", client_id: "k1" } });
    expect(again.headers.get("idempotent-replay")).toBe("true");
    expect((await api("GET", `/api/messages/${group.body.id}/`, { token: alice.access })).status).toBe(200);
    const deleted = await api("DELETE", `/api/messages/${group.body.id}/${first.body.id}/`, { token: alice.access });
    expect(deleted.status).toBe(204);
  });

  test("refuses a status the operation does not document", async () => {
    expect(await verdict("GET", "/api/conversations/", 418, { detail: "x", error: "x", code: "internal" })).toContain(
      "418 is not documented for GET /api/conversations/",
    );
  });

  test("refuses a body that does not match: a string id, a missing field, an unknown error code", async () => {
    const message = {
      id: "1",
      conversation_id: 1,
      sender: 1,
      sender_username: "a",
      receiver_user: null,
      receiver_group: 1,
      message: "",
      file: null,
      attachment: null,
      timestamp: "2026-01-01T00:00:00Z",
      client_id: null,
      deleted: false,
      edited_at: null,
      reply_to: null,
      reply_count: 0,
      reactions: [],
      mentions: [],
      pinned: false,
      sender_is_bot: false,
      sender_display_name: null,
      via_webhook: false,
    };
    expect(await verdict("POST", "/api/messages/1/send/", 201, message)).toContain("body does not match");
    expect(await verdict("POST", "/api/messages/1/send/", 201, { ...message, id: 1 })).toBe("");
    const { pinned: _, ...withoutPinned } = { ...message, id: 1 };
    expect(await verdict("POST", "/api/messages/1/send/", 201, withoutPinned)).toContain("pinned");
    expect(await verdict("POST", "/api/messages/1/send/", 403, { detail: "x", error: "x", code: "nope" })).toContain("body does not match");
  });

  test("refuses a 429 without Retry-After, and a 204 with a body", async () => {
    const limited = { detail: "slow", error: "slow", code: "rate_limited" };
    expect(await verdict("POST", "/api/login/", 429, limited)).toContain("Retry-After");
    expect(await verdict("POST", "/api/login/", 429, limited, { ...json, "retry-after": "3" })).toBe("");
    expect(await verdict("DELETE", "/api/1/delete/", 204, { detail: "x" })).toContain("without a body");
  });

  test("an address the API does not have may only answer the 404 error shape", async () => {
    expect(await verdict("GET", "/api/no-such-thing/here/", 404, { detail: "Not found.", error: "Not found.", code: "not_found" })).toBe("");
    expect(await verdict("GET", "/api/no-such-thing/here/", 200, { ok: true })).toContain("not documented");
  });
});
