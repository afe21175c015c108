// What the fuzzers (test/fuzz/*.test.ts) found, each fixed and pinned here by a fixed input, named after what broke.
import { describe, expect, test } from "bun:test";
import { CLOSE_CODES } from "../../src/modules/docs/asyncapi";
import { NUL_MESSAGE } from "../../src/lib/schemas";
import { createGroup, makeStaff } from "../chat-helpers";
import { checkedFetch, listen, queryRows, registerUser } from "../helpers";
import { connect } from "../ws-helpers";
import { RawSocket, wsFrame } from "./raw-websocket";

const { server, api } = await listen();

describe("fuzzer findings", () => {
  test("a path id spelled otherwise (+1, ' 1', 1.0, 0x1, 1e0, 01) named the same object: staff deleted user 1 through /api/0x1/delete/", async () => {
    const user = await registerUser(api, "aliased");
    const staff = await registerUser(api, "aliasstaff");
    await makeStaff(server.parley, staff.id);
    const spellings = [`+${user.id}`, `%20${user.id}`, `${user.id}%20`, `${user.id}.0`, `0x${user.id.toString(16)}`, `${user.id}e0`, `0${user.id}`];
    for (const spelling of spellings) {
      const read = await checkedFetch(`${server.url}/api/${spelling}/`, { headers: { authorization: `Bearer ${staff.access}` } });
      expect(read.status, spelling).toBe(404);
      const removed = await checkedFetch(`${server.url}/api/${spelling}/delete/`, { method: "DELETE", headers: { authorization: `Bearer ${staff.access}` } });
      expect(removed.status, spelling).toBe(404);
    }
    // The one spelling still works, and the user is still there.
    const read = await checkedFetch(`${server.url}/api/${user.id}/`, { headers: { authorization: `Bearer ${staff.access}` } });
    expect(read.status).toBe(200);
    expect((await read.json()).id).toBe(user.id);
    expect((await api("GET", "/api/users/protected/", { token: user.access })).status).toBe(200);
  });

  test("a JSON body nested 50,000 deep cost seconds of CPU and answered 500 (the validation error serialized it): 400 at once", async () => {
    const user = await registerUser(api, "deepjson");
    const started = performance.now();
    const response = await checkedFetch(`${server.url}/api/tokens/`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.access}`, "content-type": "application/json" },
      body: `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
    });
    expect(response.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(1_000);
    // A body of ordinary depth, with brackets inside its strings, still goes through.
    const fine = await api("POST", "/api/tokens/", { token: user.access, body: { name: "[[[[{{{{", scopes: ["read"] } });
    expect(fine.status).toBe(201);
  });

  test("a refused body with a field named constructor or __proto__ answered 500 (the field errors were a plain object)", async () => {
    const user = await registerUser(api, "protofield");
    for (const body of ['{"constructor":{"prototype":{"x":1}}}', '{"__proto__":{"x":1},"name":1}', '{"toString":1,"hasOwnProperty":[]}']) {
      for (const path of ["/api/push/subscriptions/", "/api/tokens/", "/api/groups/create/"]) {
        const response = await checkedFetch(`${server.url}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${user.access}`, "content-type": "application/json" },
          body,
        });
        expect(response.status, `${path} ${body}`).toBe(400);
      }
    }
  });
});

describe("fuzzer findings in what the documents describe", () => {
  test("a URL over Bun's limit (16 KiB) was answered 431, which the OpenAPI document did not describe", async () => {
    const user = await registerUser(api, "longurl");
    const response = await checkedFetch(`${server.url}/api/search/?q=${"x".repeat(20_000)}`, { headers: { authorization: `Bearer ${user.access}` } });
    expect(response.status).toBe(431);
  });

  test("a WebSocket protocol error closed with 1002 (reserved bit) or 1007 (text not UTF-8), close codes /asyncapi.json did not list", async () => {
    const user = await registerUser(api, "protocol");
    const port = Number(new URL(server.url).port);
    const documented = new Set<number>(CLOSE_CODES.map((c) => c.code));
    const ping = new TextEncoder().encode('{"type":"ping"}');
    for (const [frame, code] of [
      [wsFrame(0x1, ping, true, 0x40), 1002],
      [wsFrame(0x1, new Uint8Array([...ping.slice(0, 3), 0xff, 0xc0, ...ping.slice(3)]), true), 1007],
    ] as const) {
      const raw = await RawSocket.open(port, `/ws?token=${user.access}`);
      raw.write(frame);
      const frames = await raw.until((all) => all.some((f) => f.opcode === 0x8), 10_000);
      raw.destroy();
      expect(frames.find((f) => f.opcode === 0x8)?.code).toBe(code);
      expect(documented.has(code)).toBe(true);
    }
  });
});

describe("fuzzer findings on PostgreSQL", () => {
  test("a NUL character in a field answered 500 on PostgreSQL (its text cannot hold NUL): now 400 naming the field, on both databases", async () => {
    const user = await registerUser(api, "nul");
    const login = await api("POST", "/api/login/", { body: { email: "a\u0000b@example.com", password: "whatever" } });
    expect(login.status).toBe(400);
    expect(login.body).toEqual({ email: [NUL_MESSAGE] });
    const group = await createGroup(api, user);
    const sent = await api("POST", `/api/messages/${group.id}/send/`, { token: user.access, body: { message: "before\u0000after" } });
    expect(sent.status).toBe(400);
    expect(sent.body).toEqual({ message: [NUL_MESSAGE] });
    const search = await api("GET", "/api/search/?q=a%00b", { token: user.access });
    expect(search.status).toBe(400);
    const reaction = await api("DELETE", `/api/messages/${group.id}/1/reactions/%00/`, { token: user.access });
    expect(reaction.status).toBe(404);
    const socket = await connect(server.url, user.access);
    socket.send({ type: "message.send", ref: 1, conversation_id: group.id, message: "a\u0000b" });
    const refused = await socket.next("error");
    expect(refused.data).toMatchObject({ code: "invalid", ref: 1 });
    await socket.close();
    expect((await queryRows(server.parley, "SELECT count(*) AS n FROM messages"))[0].n).toBe(0);
  });
});
