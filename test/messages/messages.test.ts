// Sending and reading messages: the answer's shape, receivers in the body, validation, idempotent retries,
// members-only reads, and text stored and returned byte for byte.
import { describe, expect, test } from "bun:test";
import { makeApp, queryRows, registerUser } from "../helpers";
import {
  counts,
  createGroup,
  directWith,
  expectRefused,
  form,
  ISO_TIMESTAMP,
  MESSAGE_KEYS,
  send,
  sendText,
  uploadedFiles,
  registerUsers,
} from "../chat-helpers";

const { parley, api } = await makeApp();
const db = parley.ctx.db;
const [alice, bob, carol, mallory] = await registerUsers(api, ["alice", "bob", "carol", "mallory"]);
const group = await createGroup(api, alice, [bob.id, carol.id]);
const aliceBob = await directWith(api, alice, bob);

const messageRow = (id: number) => db.selectFrom("messages").selectAll().where("id", "=", id).executeTakeFirst();

describe("POST /api/messages/{conversation_id}/send/", () => {
  test("201 with the full message: ids, sender, receivers, text, no file, ISO timestamp", async () => {
    const before = Date.now();
    const response = await send(api, bob, group.id, { message: "hello group" });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(MESSAGE_KEYS);
    expect(response.body).toMatchObject({
      conversation_id: group.id,
      sender: bob.id,
      sender_username: bob.username,
      receiver_user: null,
      receiver_group: group.id,
      message: "hello group",
      file: null,
      attachment: null,
      client_id: null,
    });
    expect(Number.isInteger(response.body.id)).toBe(true);
    expect(response.body.timestamp).toMatch(ISO_TIMESTAMP);
    const at = Date.parse(response.body.timestamp);
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now() + 1);

    expect(await messageRow(response.body.id)).toMatchObject({
      conversation_id: group.id,
      sender_id: bob.id,
      body: "hello group",
      file_id: null,
      created_at: at,
    });

    const direct = await send(api, alice, aliceBob, { message: "hi bob" });
    expect(direct.status).toBe(201);
    expect(direct.body).toMatchObject({ conversation_id: aliceBob, sender: alice.id, receiver_user: bob.id, receiver_group: null });
    const reply = await send(api, bob, aliceBob, { message: "hi alice" });
    expect(reply.body).toMatchObject({ conversation_id: aliceBob, sender: bob.id, receiver_user: alice.id, receiver_group: null });
  });

  test("receiver_user sends to the caller's direct conversation with that user, created on first use; the path id is not used", async () => {
    const [u, v] = await Promise.all([registerUser(api, "ru-a"), registerUser(api, "ru-b")]);
    const before = await counts(parley);
    const first = await send(api, u, 0, { message: "first contact", receiver_user: v.id });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sender: u.id, receiver_user: v.id, receiver_group: null, message: "first contact" });
    expect(await counts(parley)).toMatchObject({ conversations: before.conversations + 1, messages: before.messages + 1 });
    const conversation = await db.selectFrom("conversations").selectAll().where("id", "=", first.body.conversation_id).executeTakeFirstOrThrow();
    expect(conversation.kind).toBe("direct");

    // Any path id — even one naming a conversation the caller is not in — is ignored when the body names the receiver.
    for (const pathId of [0, 999_999, group.id]) {
      const again = await send(api, u, pathId, { message: `via ${pathId}`, receiver_user: v.id });
      expect(again.status, String(pathId)).toBe(201);
      expect(again.body.conversation_id).toBe(first.body.conversation_id);
    }
    // The other side answering with receiver_user lands in the same conversation.
    const answer = await send(api, v, 0, { message: "hello back", receiver_user: String(u.id) });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ conversation_id: first.body.conversation_id, receiver_user: u.id });
    expect((await counts(parley)).conversations).toBe(before.conversations + 1);
    const history = await api("GET", `/api/messages/${first.body.conversation_id}/`, { token: v.access });
    expect(history.body.map((m: { message: string }) => m.message)).toEqual(["hello back", `via ${group.id}`, "via 999999", "via 0", "first contact"]);
  });

  test("receiver_group sends to that group, whatever the path says", async () => {
    const response = await send(api, carol, 0, { message: "to the group by body", receiver_group: group.id });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ conversation_id: group.id, receiver_group: group.id, receiver_user: null });
    const viaOther = await send(api, carol, aliceBob, { message: "path names another conversation", receiver_group: String(group.id) });
    expect(viaOther.status).toBe(201);
    expect(viaOther.body.conversation_id).toBe(group.id);
  });

  test("both receivers → 400, and nothing is stored", async () => {
    const before = await counts(parley);
    const response = await send(api, alice, group.id, { message: "both", receiver_user: bob.id, receiver_group: group.id });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("Cannot send to both user and group at the same time.");
    expect(await counts(parley)).toEqual(before);
  });

  test("an unknown receiver_user → 400 naming the field; an unknown receiver_group or conversation → 404; nothing stored", async () => {
    const before = await counts(parley);
    const unknownUser = await send(api, alice, 0, { message: "x", receiver_user: 9_999_999 });
    expect(unknownUser.status).toBe(400);
    expect(Object.keys(unknownUser.body)).toEqual(["receiver_user"]);
    for (const bad of ["abc", -1, 1.5]) {
      const response = await send(api, alice, 0, { message: "x", receiver_user: bad });
      expect(response.status, String(bad)).toBe(400);
      expect(Object.keys(response.body), String(bad)).toEqual(["receiver_user"]);
    }
    expectRefused(await send(api, alice, 0, { message: "x", receiver_group: 9_999_999 }), 404);
    expectRefused(await send(api, alice, 9_999_999, { message: "x" }), 404);
    expectRefused(await send(api, alice, 0, { message: "x" }), 404);
    // A direct conversation is not a group.
    const notGroup = await send(api, alice, 0, { message: "x", receiver_group: aliceBob });
    expect(notGroup.status).toBe(400);
    expect(Object.keys(notGroup.body)).toEqual(["receiver_group"]);
    expect(await counts(parley)).toEqual(before);
  });

  test("only members may send: a stranger gets 403 by path and by receiver_group, and nothing is stored", async () => {
    const before = await counts(parley);
    expectRefused(await send(api, mallory, group.id, { message: "let me in" }), 403, [group.name]);
    expectRefused(await send(api, mallory, aliceBob, { message: "let me in" }), 403, [alice.username, bob.username]);
    expectRefused(await send(api, mallory, 0, { message: "let me in", receiver_group: group.id }), 403, [group.name]);
    expect(await counts(parley)).toEqual(before);
    // Messaging anyone directly is allowed: that is mallory's own conversation.
    expect((await send(api, mallory, 0, { message: "hi alice", receiver_user: alice.id })).status).toBe(201);
  });

  test("empty text without a file → 400; text over 10,000 characters → 400; exactly 10,000 → 201", async () => {
    const before = await counts(parley);
    for (const body of [{}, { message: "" }, { message: "   \n\t " }, { message: null }, { message: 42 }]) {
      const response = await send(api, alice, group.id, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body)).toEqual(["message"]);
    }
    const tooLong = await send(api, alice, group.id, { message: "x".repeat(10_001) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toEqual({ message: ["Ensure this field has no more than 10000 characters."] });
    const tooManyEmoji = await send(api, alice, group.id, { message: "😀".repeat(10_001) });
    expect(tooManyEmoji.status).toBe(400);
    expect(await counts(parley)).toEqual(before);

    const longest = await send(api, alice, group.id, { message: "y".repeat(10_000) });
    expect(longest.status).toBe(201);
    expect(longest.body.message).toHaveLength(10_000);
    // Characters, not UTF-16 code units: 10,000 emoji are 10,000 characters.
    const emoji = await send(api, alice, group.id, { message: "😀".repeat(10_000) });
    expect(emoji.status).toBe(201);
    expect((await messageRow(emoji.body.id))!.body).toBe("😀".repeat(10_000));
  });

  test("NUL characters are refused (400), nothing stored", async () => {
    const before = await counts(parley);
    const response = await send(api, alice, group.id, { message: "before\u0000after" });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body)).toEqual(["message"]);
    expect(await counts(parley)).toEqual(before);
  });

  test("the same client_id twice from the same user → the same message, one row, the second marked idempotent-replay", async () => {
    const clientId = `retry-${crypto.randomUUID()}`;
    const first = await send(api, alice, group.id, { message: "exactly once", client_id: clientId });
    expect(first.status).toBe(201);
    expect(first.body.client_id).toBe(clientId);
    expect(first.headers.get("idempotent-replay")).toBeNull();
    const second = await send(api, alice, group.id, { message: "exactly once", client_id: clientId });
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replay")).toBe("true");
    expect(second.body).toEqual(first.body);
    const rows = await db.selectFrom("messages").select("id").where("client_id", "=", clientId).execute();
    expect(rows).toEqual([{ id: first.body.id }]);

    // Concurrent retries also store one row.
    const racing = `race-${crypto.randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(api, bob, group.id, { message: "racing", client_id: racing })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get("idempotent-replay") === "true")).toHaveLength(4);
    expect(await db.selectFrom("messages").select("id").where("client_id", "=", racing).execute()).toHaveLength(1);

    // Another sender's client_id is their own.
    const other = await send(api, carol, group.id, { message: "exactly once", client_id: clientId });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
    expect(other.headers.get("idempotent-replay")).toBeNull();
  });

  test("a client_id that is empty or over 100 characters → 400", async () => {
    const before = await counts(parley);
    for (const clientId of ["", "c".repeat(101)]) {
      const response = await send(api, alice, group.id, { message: "x", client_id: clientId });
      expect(response.status).toBe(400);
      expect(Object.keys(response.body)).toEqual(["client_id"]);
    }
    expect(await counts(parley)).toEqual(before);
  });

  test("multipart bodies work: message, receiver_user as text", async () => {
    const response = await api("POST", "/api/messages/0/send/", {
      token: carol.access,
      body: form({ message: "from a form", receiver_user: String(alice.id) }),
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ sender: carol.id, receiver_user: alice.id, message: "from a form", file: null });
  });

  test("malformed bodies and ids → 400/404, anonymous → 401, never 500", async () => {
    const before = await counts(parley);
    const malformed = await api("POST", `/api/messages/${group.id}/send/`, {
      token: alice.access,
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect((await send(api, alice, group.id, { message: "x", file: "not a file" })).status).toBe(400);
    expect((await send(api, alice, group.id, { message: ["x"] })).status).toBe(400);
    for (const id of ["abc", "1.5", "-1", "99999999999999999999"]) {
      expect((await send(api, alice, id, { message: "x" })).status, id).toBe(404);
    }
    expect((await send(api, undefined, group.id, { message: "x" })).status).toBe(401);
    expect((await send(api, undefined, "abc", { message: "x" })).status).toBe(401);
    expect(await counts(parley)).toEqual(before);
  });
});

describe("text is stored and returned byte for byte", () => {
  const texts = [
    "'; DROP TABLE messages; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    "%s %d %n {{7*7}} ${1+1} \\x00 \\u0000",
    "<script>alert('x')</script> &amp; &lt;",
    "👩‍👩‍👧‍👦 🇺🇦 😀 🏳️‍🌈",
    "مرحبا بالعالم \u202Eevil\u202C שלום עולם",
    "e\u0301 vs \u00e9, ﬁ ligature, ＡＢＣ full width",
    "zero\u200bwidth\ufeffBOM",
    `${Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join("")}\u007f\u0085\u2028\u2029`,
    "line one\r\nline two\nline three\rend",
    "  padded on both sides  ",
    'C:\\path\\to\\file "quoted"',
  ];

  for (const [i, text] of texts.entries()) {
    test(`text #${i}: ${JSON.stringify(text).slice(0, 40)}`, async () => {
      const response = await send(api, alice, group.id, { message: text });
      expect(response.status).toBe(201);
      expect(response.body.message).toBe(text);
      const hex = parley.database.kind === "postgres" ? "upper(encode(convert_to(body, 'UTF8'), 'hex'))" : "hex(body)";
      const [row] = await queryRows<{ body: string; hex: string }>(parley, `SELECT body, ${hex} AS hex FROM messages WHERE id = ?`, [response.body.id]);
      expect(row!.body).toBe(text);
      expect(row!.hex).toBe(Buffer.from(text, "utf8").toString("hex").toUpperCase());
      // Read back by another member: the first message after id - 1 is this one.
      const history = await api("GET", `/api/messages/${group.id}/?after=${response.body.id - 1}&limit=1`, { token: bob.access });
      expect(history.body.map((m: { id: number; message: string }) => [m.id, m.message])).toEqual([[response.body.id, text]]);
    });
  }

  test("multipart text keeps CR LF and control characters too", async () => {
    const text = "multi\r\npart\ttext\u0001\u001f — ünïcödé 🎉";
    const response = await api("POST", `/api/messages/${group.id}/send/`, { token: alice.access, body: form({ message: text }) });
    expect(response.status).toBe(201);
    expect(response.body.message).toBe(text);
    expect((await messageRow(response.body.id))!.body).toBe(text);
  });
});

describe("GET /api/messages/{conversation_id}/", () => {
  test("members read the history newest first, 10 a page", async () => {
    const own = await createGroup(api, bob, [carol.id]);
    const sent: number[] = [];
    for (let i = 0; i < 12; i++) sent.push((await sendText(api, i % 2 ? carol : bob, own.id, `m${i}`)).id);
    const page1 = await api("GET", `/api/messages/${own.id}/`, { token: carol.access });
    expect(page1.status).toBe(200);
    expect(page1.body.map((m: { id: number }) => m.id)).toEqual(sent.slice(2).reverse());
    for (const message of page1.body) expect(Object.keys(message).sort()).toEqual(MESSAGE_KEYS);
    expect(page1.body[0]).toMatchObject({ message: "m11", sender: carol.id, sender_username: carol.username, receiver_group: own.id });
    const page2 = await api("GET", `/api/messages/${own.id}/?page=2`, { token: bob.access });
    expect(page2.body.map((m: { id: number }) => m.id)).toEqual(sent.slice(0, 2).reverse());
    expect((await api("GET", `/api/messages/${own.id}/?page=3`, { token: bob.access })).body).toEqual([]);
  });

  test("a conversation without messages is []", async () => {
    const empty = await createGroup(api, carol);
    const response = await api("GET", `/api/messages/${empty.id}/`, { token: carol.access });
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  test("non-members get 403 without content; unknown or malformed ids 404; anonymous 401", async () => {
    const secret = `secret-${crypto.randomUUID()}`;
    await sendText(api, alice, aliceBob, secret);
    expectRefused(await api("GET", `/api/messages/${aliceBob}/`, { token: carol.access }), 403, [secret, alice.username, bob.username]);
    expectRefused(await api("GET", `/api/messages/${group.id}/`, { token: mallory.access }), 403, [group.name]);
    for (const id of ["9999999", "0", "-1", "abc", "1.5", "99999999999999999999"]) {
      expectRefused(await api("GET", `/api/messages/${id}/`, { token: alice.access }), 404, [], id);
    }
    expectRefused(await api("GET", `/api/messages/${aliceBob}/`), 401, [secret]);
    expectRefused(await api("GET", `/api/messages/${aliceBob}/`, { token: "garbage" }), 401, [secret]);
    expectRefused(await api("GET", `/api/messages/${aliceBob}/`, { token: alice.refresh }), 401, [secret]);
  });

  test("sending leaves no file in uploads when there is no file", () => {
    expect(uploadedFiles(parley)).toEqual([]);
  });
});
