// The AsyncAPI document of the sockets: served without auth, valid for the AsyncAPI project's own parser, linked from
// the OpenAPI document, and enforced: ws-helpers checks every frame a test socket receives against it.
import { Parser } from "@asyncapi/parser";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { asyncApiDocument } from "../../src/modules/docs/asyncapi";
import { makeApp } from "../helpers";
import { undescribedFrame } from "../ws-helpers";

const { api } = await makeApp();

describe("GET /asyncapi.json", async () => {
  const response = await api("GET", "/asyncapi.json");
  const doc = response.body;

  test("answers the AsyncAPI 3.0 document without authentication", () => {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(doc.asyncapi).toBe("3.0.0");
    expect(doc).toEqual(JSON.parse(JSON.stringify(asyncApiDocument())));
    expect(Object.values(doc.channels).map((c: any) => c.address)).toEqual(["/ws", "/ws/chat/{id}/"]);
  });

  test("is valid for @asyncapi/parser: no error, no warning, no hint but the one about 3.1", async () => {
    const { document, diagnostics } = await new Parser().parse(structuredClone(doc));
    const problems = diagnostics.filter((d) => d.code !== "asyncapi-latest-version").map((d) => `${d.severity} ${d.code} ${d.path.join(".")}: ${d.message}`);
    expect(problems).toEqual([]);
    expect(document).toBeDefined();
    expect(
      document!
        .channels()
        .all()
        .map((c) => c.address()),
    ).toEqual(["/ws", "/ws/chat/{id}/"]);
    // The server's frames and the client's operations, every logged event type among them.
    const sent = document!
      .operations()
      .filterBySend()
      .flatMap((op) =>
        op
          .messages()
          .all()
          .map((m) => m.title()),
      );
    for (const type of ["hello", "resync", "pong", "error", "presence", "typing", "message.created", "message.updated", "message.deleted", "messages.expired"])
      expect(sent).toContain(type);
    for (const type of [
      "message.pinned",
      "message.unpinned",
      "reaction.added",
      "reaction.removed",
      "member.joined",
      "member.left",
      "member.updated",
      "conversation.updated",
      "read",
      "unread",
      "mute",
    ])
      expect(sent).toContain(type);
    const received = document!
      .operations()
      .filterByReceive()
      .flatMap((op) =>
        op
          .messages()
          .all()
          .map((m) => m.title()),
      );
    expect(received).toEqual(["ping", "message.send", "typing", "read", "sync", "send"]);
  });

  test("names the connection's credentials and since, the close codes, and the REST document's schemas", () => {
    expect(doc.channels.events.bindings.ws.query.properties).toContainAllKeys(["ticket", "token", "since"]);
    expect(doc.channels.events["x-close-codes"].map((c: { code: number }) => c.code)).toEqual([1000, 1001, 1002, 1006, 1007, 1008, 1009, 1011, 1013]);
    expect(doc.info.description).toContain("| 1013 |");
    expect(doc.components.schemas).toContainKeys(["Message", "ReadState"]);
    expect(doc.components.messages["message.created"].payload.properties.data).toEqual({ $ref: "#/components/schemas/Message" });
  });

  test("is linked from the OpenAPI document that /swagger shows", async () => {
    expect((await api("GET", "/swagger/json")).body.info.description).toContain("(/asyncapi.json)");
  });
});

describe("frames the document does not describe", () => {
  test("are named: an unknown type, a missing field, a wrong type, an extra field, a legacy frame on /ws", () => {
    expect(undescribedFrame("/ws", { type: "presence", data: { user_id: 4, status: "online" } })).toBeNull();
    expect(undescribedFrame("/ws/chat/3/", { message: "hi", sender: "bob" })).toBeNull();
    expect(undescribedFrame("/ws", { type: "message.exploded", data: {} })).toContain('no frame of type "message.exploded"');
    expect(undescribedFrame("/ws", { type: "message.deleted", conversation_id: 1, data: { id: 2, conversation_id: 1 } })).toContain(
      "must have required property 'seq'",
    );
    expect(undescribedFrame("/ws", { type: "presence", data: { user_id: "4", status: "online" } })).toContain("/data/user_id must be integer");
    expect(undescribedFrame("/ws", { type: "presence", data: { user_id: 4, status: "online", ip: "10.0.0.1" } })).toContain("additional properties (ip)");
    expect(undescribedFrame("/ws", { message: "hi", sender: "bob" })).toContain("no frame of type undefined on /ws");
  });

  const fixture = async (frame: unknown, closeCode: number) => {
    const child = Bun.spawn([process.execPath, "test", join(import.meta.dir, "wrong-frame.fixture.ts")], {
      env: { ...process.env, FRAME: JSON.stringify(frame), CLOSE_CODE: String(closeCode) },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
    return { code, output: stdout + stderr };
  };

  test("fail the test whose socket receives one (and so does an undocumented close code); a described one passes", async () => {
    const good = { type: "presence", data: { user_id: 4, status: "offline" } };
    const [right, wrongFrame, wrongCode] = await Promise.all([
      fixture(good, 1001),
      fixture({ type: "presence", data: { user_id: 4, status: "away" } }, 1001),
      fixture(good, 4000),
    ]);
    expect(right.output).toContain("1 pass");
    expect(right.code).toBe(0);
    expect(wrongFrame.code).not.toBe(0);
    expect(wrongFrame.output).toContain('a frame /asyncapi.json does not describe: /ws "presence"');
    expect(wrongFrame.output).toContain("1 fail");
    expect(wrongCode.code).not.toBe(0);
    expect(wrongCode.output).toContain("a close code /asyncapi.json does not describe: 4000");
  });
});
