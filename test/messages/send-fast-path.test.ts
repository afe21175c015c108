// REST sends with a plain JSON body are served in front of Elysia (messages/fast-send.ts); everything else goes
// through Elysia's route. Either way the answer is the same: status, body, security headers, request id.
import { describe, expect, test } from "bun:test";
import { SECURITY_HEADERS } from "../../src/lib/web";
import { listen, registerUser } from "../helpers";
import { createGroup } from "../chat-helpers";

describe("POST /api/messages/:id/send/ on both paths", async () => {
  const { server, api } = await listen({ rateLimits: false });
  const owner = await registerUser(api, "fast");
  const outsider = await registerUser(api, "outsider");
  const group = await createGroup(api, owner, []);
  const send = (token: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/messages/${group.id}/send/`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body,
    });
  const expectHeaders = (answer: Response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(answer.headers.get(name)).toBe(value);
    expect(answer.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  };

  test("a plain send, one with a charset, one from an Origin (CORS: Elysia's path): 201, the message, the same headers", async () => {
    const variants: Record<string, string>[] = [{}, { "content-type": "application/json; charset=utf-8" }, { origin: "https://elsewhere.example" }];
    for (const headers of variants) {
      const answer = await send(owner.access, JSON.stringify({ message: "hello", extra: "ignored" }), headers);
      expect(answer.status).toBe(201);
      expect(answer.headers.get("content-type")).toStartWith("application/json");
      expectHeaders(answer);
      expect(await answer.json()).toMatchObject({ message: "hello", sender: owner.id, conversation_id: group.id });
    }
  });

  test("a repeated client_id answers the first message with Idempotent-Replay", async () => {
    const first = await (await send(owner.access, JSON.stringify({ message: "once", client_id: "fast-1" }))).json();
    const again = await send(owner.access, JSON.stringify({ message: "once", client_id: "fast-1" }));
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replay")).toBe("true");
    expect((await again.json()).id).toBe(first.id);
  });

  test("refusals: a non-member's 403, an invalid body's 400, a bad token's 401, each with the headers", async () => {
    const forbidden = await send(outsider.access, JSON.stringify({ message: "let me in" }));
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).code).toBe("forbidden");
    expectHeaders(forbidden);
    const invalid = await send(owner.access, JSON.stringify({ message: 5 }));
    expect(invalid.status).toBe(400);
    expect(Object.keys(await invalid.json())).toEqual(["message"]);
    expectHeaders(invalid);
    const anonymous = await send("not-a-token", JSON.stringify({ message: "hi" }));
    expect(anonymous.status).toBe(401);
    expectHeaders(anonymous);
  });
});
