// WebSocket fuzzing on /ws: operations generated from the schemas the gateway checks them against
// (realtime/model.ts clientOperations, published in /asyncapi.json), valid and mutated, raw text that is not an
// operation, binary frames, frames over maxPayloadLength, frames fragmented by hand over a raw TCP socket, and bursts.
// The server never crashes and never answers `internal`; every refusal is an `error` frame or a documented close
// code (ws-helpers.ts checks every frame and close against the document); a bystander on the same server hears
// exactly its own conversation, nothing of the fuzzing. Seeded and bounded; FUZZ_RUNS=n for a longer run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CLOSE_CODES } from "../../src/modules/docs/asyncapi";
import { clientOperations } from "../../src/modules/realtime/model";
import { createGroup, sendText } from "../chat-helpers";
import { listen, registerUser, type TestUser } from "../helpers";
import { connect, type Frame, type TestSocket } from "../ws-helpers";
import { RawSocket, wsFrame } from "./raw-websocket";
import { deepArray, deepObject, fuzzParameters, fuzzRuns, fuzzTimeout, invariantViolations, nastyValue, validOrBroken, valueFor } from "./fuzz-helpers";

type Json = Record<string, any>;
const documentedCloses = new Set<number>([...CLOSE_CODES.map((c) => c.code), 1005]);

/** A bystander: its own group, where another member sends over REST; it must hear exactly those messages. */
async function bystanderOn(server: { url: string }, api: Parameters<typeof registerUser>[0]) {
  const [watcher, talker] = [await registerUser(api, "bystander"), await registerUser(api, "talker")];
  const group = await createGroup(api, talker, [watcher.id]);
  const socket = await connect(server.url, watcher.access);
  const sent: string[] = [];
  return {
    group,
    async say() {
      const text = `bystander message ${sent.length}`;
      sent.push(text);
      await sendText(api, talker, group.id, text);
    },
    /** After a ping round trip: the frames since hello are exactly the messages said, in order, and the pong. */
    async heardOnlyItsOwn() {
      socket.send({ type: "ping", ref: "last" });
      await socket.next((f) => f.type === "pong" && f.ref === "last", 10_000);
      const heard = socket.frames.slice(1).filter((f) => !(f.type === "pong" && f.ref === "last"));
      expect(heard.map((f) => `${f.type} ${f.data?.message ?? ""}`)).toEqual(sent.map((text) => `message.created ${text}`));
      expect(heard.every((f) => f.conversation_id === group.id)).toBe(true);
    },
  };
}

describe("operations on /ws, valid and broken (flood control off: every frame is looked at)", async () => {
  const { server, api, config } = await listen({ rateLimits: false });
  let fuzzer: TestUser;
  let socket: TestSocket;
  let bystander: Awaited<ReturnType<typeof bystanderOn>>;
  const ids: Record<string, number[]> = {};
  let pings = 0;

  beforeAll(async () => {
    fuzzer = await registerUser(api, "wsfuzzer");
    const friend = await registerUser(api, "friend");
    const group = await createGroup(api, fuzzer, [friend.id]);
    bystander = await bystanderOn(server, api);
    const message = await sendText(api, fuzzer, group.id, "something to read and answer");
    // The bystander's group is among the ids tried: sending, typing or reading there must be refused.
    Object.assign(ids, { conversation_id: [group.id, bystander.group.id], message_id: [message.id], reply_to: [message.id], since: [0, 1] });
    socket = await connect(server.url, fuzzer.access);
  }, 60_000);

  afterAll(() => socket?.ws.close());

  /** Sends each frame, then a ping: the pong proves every frame before it was handled; a close must be documented. */
  async function exchange(frames: (string | Uint8Array)[]) {
    if (socket.ws.readyState !== WebSocket.OPEN) socket = await connect(server.url, fuzzer.access);
    const before = socket.frames.length;
    for (const frame of frames) socket.ws.send(frame);
    const ref = `probe-${++pings}`;
    socket.send({ type: "ping", ref });
    const answer: Frame | { code: number; reason: string } = await Promise.race([
      socket.next((f) => f.type === "pong" && f.ref === ref, 10_000),
      socket.closed,
    ]);
    if (typeof answer.code === "number") {
      expect(documentedCloses.has(answer.code), `close ${answer.code} ${answer.reason}`).toBe(true);
      return;
    }
    const internal = socket.frames.slice(before).filter((f: Frame) => f.type === "error" && f.data?.code === "internal");
    expect(internal, JSON.stringify(frames).slice(0, 500)).toEqual([]);
  }

  const operation = fc.constantFrom(...Object.keys(clientOperations)).chain((type) => {
    const schema = (clientOperations as Record<string, Json>)[type]!;
    return fc.oneof(
      valueFor({}, schema, (name) => ids[name] ?? []),
      validOrBroken({}, schema, (name) => ids[name] ?? []),
    );
  });
  const raw = fc.constantFrom(
    "",
    " ",
    "null",
    "[]",
    "1",
    '"ping"',
    "{",
    '{"type":',
    '{"type":"ping","type":"message.send","conversation_id":1,"message":"duplicate keys"}',
    '{"type":"message.send","conversation_id":1e309,"message":"x"}',
    '{"type":"message.send","conversation_id":1.0,"message":"x"}',
    '{"type":"message.send","conversation_id":"1","message":"x"}',
    '{"type":"message.send","conversation_id":1,"message":"\\ud800 lone \\udc00 \\u0000 \\u202e"}',
    '{"type":"__proto__"}',
    '{"type":"constructor"}',
    '{"type":"toString"}',
    '{"type":"hasOwnProperty"}',
    '{"__proto__":{"type":"ping"}}',
    '{"type":"sync","since":-1}',
    '{"type":"sync","since":9007199254740993}',
    '{"type":"read","conversation_id":1,"message_id":9007199254740993}',
    deepArray(20_000),
    deepObject(8_000),
    `{"type":"ping","ref":"${"r".repeat(60_000)}"}`,
    `{"type":"message.send","conversation_id":1,"message":"${"é".repeat(30_000)}"}`,
    "\u0000\u0000",
    "\uFEFF{}",
  );
  const binary = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom(
      new TextEncoder().encode('{"type":"ping","ref":"in binary"}'),
      new Uint8Array([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]),
      new Uint8Array(0),
    ),
  );
  const frame = fc.oneof(
    { weight: 5, arbitrary: operation.map((op) => JSON.stringify(op) ?? "null") },
    { weight: 2, arbitrary: nastyValue.map((v) => JSON.stringify(v) ?? "null") },
    { weight: 2, arbitrary: raw },
    { weight: 1, arbitrary: binary },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 300 }) },
  );

  test(
    "every frame is answered (ack, pong, error) or ignored as documented; never `internal`, never an undocumented close",
    async () => {
      let said = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
          if (said++ % 10 === 0) await bystander.say();
          await exchange(frames);
        }),
        fuzzParameters(fuzzRuns(80)),
      );
    },
    fuzzTimeout(20_000),
  );

  test("frames over maxPayloadLength (text and binary) close with 1009; the next socket works", async () => {
    for (const big of ["x".repeat(64 * 1024 + 1), new Uint8Array(200_000)]) {
      if (socket.ws.readyState !== WebSocket.OPEN) socket = await connect(server.url, fuzzer.access);
      socket.ws.send(big);
      expect((await socket.closed).code).toBe(1009);
      await bystander.say();
    }
    await exchange([JSON.stringify({ type: "ping" })]);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });

  test(
    "frames fragmented by hand on a raw TCP socket: reassembled, or refused with a close, never a crash",
    async () => {
      const port = Number(new URL(server.url).port);
      const ping = (ref: string) => new TextEncoder().encode(JSON.stringify({ type: "ping", ref }));
      const cases = fc.record({
        parts: fc.integer({ min: 1, max: 12 }),
        controlBetween: fc.boolean(),
        twist: fc.constantFrom("none", "orphan continuation", "text inside a message", "over the limit", "invalid utf-8", "reserved opcode", "rsv bits"),
      });
      let n = 0;
      await fc.assert(
        fc.asyncProperty(cases, async ({ parts, controlBetween, twist }) => {
          const raw = await RawSocket.open(port, `/ws?token=${fuzzer.access}`);
          const ref = `fragmented-${++n}`;
          let payload = ping(ref);
          if (twist === "over the limit") payload = new TextEncoder().encode(JSON.stringify({ type: "ping", ref, pad: "p".repeat(70_000) }));
          if (twist === "invalid utf-8") payload = new Uint8Array([...payload.slice(0, 5), 0xff, 0xc0, ...payload.slice(5)]);
          if (twist === "orphan continuation") raw.write(wsFrame(0x0, new TextEncoder().encode("{}"), true));
          if (twist === "reserved opcode") raw.write(wsFrame(0x3, payload, true));
          const size = Math.ceil(payload.length / parts);
          for (let i = 0; i < parts; i++) {
            const chunk = payload.slice(i * size, (i + 1) * size);
            const rsv = twist === "rsv bits" && i === 0 ? 0x40 : 0;
            raw.write(wsFrame(i === 0 ? 0x1 : 0x0, chunk, i === parts - 1, rsv));
            if (controlBetween && i < parts - 1) raw.write(wsFrame(0x9, new TextEncoder().encode("mid"), true));
            if (twist === "text inside a message" && i === 0 && parts > 1) raw.write(wsFrame(0x1, ping("inner"), true));
          }
          const outcome = await raw.until((frames) => frames.some((f) => f.opcode === 0x8 || (f.opcode === 0x1 && f.text.includes(ref))), 10_000);
          raw.destroy();
          const close = outcome.find((f) => f.opcode === 0x8);
          if (twist === "none") {
            expect(close, `${parts} parts${controlBetween ? " with pings between" : ""}`).toBeUndefined();
            expect(outcome.some((f) => f.opcode === 0x1 && JSON.parse(f.text).type === "pong")).toBe(true);
            if (controlBetween && parts > 1) expect(outcome.some((f) => f.opcode === 0xa && f.text === "mid")).toBe(true);
          } else if (close) {
            expect(documentedCloses.has(close.code ?? 1005), `${twist}: close ${close.code} ${close.text}`).toBe(true);
          }
          expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        }),
        fuzzParameters(fuzzRuns(30)),
      );
    },
    fuzzTimeout(20_000),
  );

  test("the bystander heard exactly its own conversation; the database is sound", async () => {
    await bystander.say();
    await bystander.heardOnlyItsOwn();
    expect(await invariantViolations(server.parley, config.dataDir)).toEqual([]);
  });
});

describe("bursts with flood control on", async () => {
  const { server, api, config } = await listen();
  let bystander: Awaited<ReturnType<typeof bystanderOn>>;
  let fuzzer: TestUser;
  let group: { id: number };
  beforeAll(async () => {
    bystander = await bystanderOn(server, api);
    fuzzer = await registerUser(api, "burster");
    group = await createGroup(api, fuzzer);
  }, 60_000);

  test(
    "a burst past the bucket gets rate_limited and 1008; sockets of others do not notice",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 101, max: 600 }), fc.constantFrom("ping", "message.send", "typing", "garbage"), async (count, kind) => {
          const socket = await connect(server.url, fuzzer.access);
          const frame =
            kind === "garbage"
              ? "{not json"
              : JSON.stringify(
                  kind === "message.send" ? { type: kind, conversation_id: group.id, message: "burst" } : { type: kind, conversation_id: group.id },
                );
          for (let i = 0; i < count; i++) socket.ws.send(frame);
          const closed = await socket.closed;
          expect(closed).toEqual({ code: 1008, reason: "Rate limit exceeded" });
          expect(socket.frames.some((f) => f.type === "error" && f.data.code === "rate_limited")).toBe(true);
          expect(socket.frames.some((f) => f.type === "error" && f.data.code === "internal")).toBe(false);
          await bystander.say();
        }),
        fuzzParameters(fuzzRuns(6)),
      );
      await bystander.heardOnlyItsOwn();
      expect(await invariantViolations(server.parley, config.dataDir)).toEqual([]);
    },
    fuzzTimeout(20_000),
  );
});
