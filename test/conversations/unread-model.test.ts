// Read state against a model: a seeded random mix of sends (some with @mentions, over REST and the WebSocket), edits,
// deletes, joins and leaves, reads (REST and WebSocket) and mutes, checked every few operations against a small
// in-test model of every member's unread_count / mention_count / notification_count (README: "Read state").
// Each user has two sockets: both get exactly their own `unread` / `mute` events (equal to what the REST API says),
// nobody else's, live or on resume.
import { afterAll, describe, expect, test } from "bun:test";
import { listen, type TestUser } from "../helpers";
import { openSocket, wsUrl, type Frame, type TestSocket } from "../ws-helpers";
import { createGroup, directWith, registerUsers, send } from "../chat-helpers";

const SEED = Number(process.env.PARLEY_TEST_SEED ?? 20_251_124);
const OPERATIONS = 300;
const CHECK_EVERY = 5;

/** mulberry32: a tiny seeded PRNG, so a failing sequence can be replayed with PARLEY_TEST_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

interface ModelMessage {
  id: number;
  conversationId: number;
  senderId: number;
  deleted: boolean;
  mentions: Set<number>;
}

interface ModelMember {
  lastRead: number | null;
  muted: boolean;
}

interface ReadStateShape {
  last_read_message_id: number | null;
  unread_count: number;
  mention_count: number;
  muted: boolean;
  notification_count: number;
}

/** What the README promises, computed the obvious way. */
class Model {
  readonly messages: ModelMessage[] = [];
  /** conversation id → user id → membership. */
  readonly members = new Map<number, Map<number, ModelMember>>();

  isMember = (conversationId: number, userId: number) => this.members.get(conversationId)?.has(userId) ?? false;
  membersOf = (conversationId: number) => [...(this.members.get(conversationId)?.keys() ?? [])];
  messagesIn = (conversationId: number) => this.messages.filter((m) => m.conversationId === conversationId);

  /** A newcomer starts with everything before their arrival read. */
  join(conversationId: number, userId: number) {
    const ids = this.messagesIn(conversationId).map((m) => m.id);
    const members = this.members.get(conversationId) ?? this.members.set(conversationId, new Map()).get(conversationId)!;
    members.set(userId, { lastRead: ids.length ? Math.max(...ids) : null, muted: false });
  }

  leave(conversationId: number, userId: number) {
    this.members.get(conversationId)!.delete(userId);
  }

  state(conversationId: number, userId: number): ReadStateShape {
    const member = this.members.get(conversationId)!.get(userId)!;
    const unread = this.messagesIn(conversationId).filter((m) => m.id > (member.lastRead ?? 0) && m.senderId !== userId && !m.deleted);
    const mentions = unread.filter((m) => m.mentions.has(userId)).length;
    return {
      last_read_message_id: member.lastRead,
      unread_count: unread.length,
      mention_count: mentions,
      muted: member.muted,
      notification_count: member.muted ? mentions : unread.length,
    };
  }
}

const readStateOf = (view: Record<string, unknown>): ReadStateShape => ({
  last_read_message_id: view.last_read_message_id as number | null,
  unread_count: view.unread_count as number,
  mention_count: view.mention_count as number,
  muted: view.muted as boolean,
  notification_count: view.notification_count as number,
});

const isPrivate = (f: Frame) => f.type === "unread" || f.type === "mute";

describe("unread counts against a model", async () => {
  const { server, api } = await listen();
  const db = server.parley.ctx.db;
  // amy owns the group and never leaves (the last owner could not); ben, cat and dan come and go; ben and cat share a direct conversation.
  const users = await registerUsers(api, ["amy", "ben", "cat", "dan"]);
  const [amy, ben, cat] = users;
  const byId = new Map(users.map((u) => [u.id, u]));
  const model = new Model();
  const group = await createGroup(api, amy, [ben.id]);
  model.join(group.id, amy.id);
  model.join(group.id, ben.id);
  const direct = await directWith(api, ben, cat);
  model.join(direct, ben.id);
  model.join(direct, cat.id);
  const conversations = [group.id, direct];

  const socketsOf = new Map<number, [TestSocket, TestSocket]>();
  for (const user of users) {
    const pair = await Promise.all([openSocket(wsUrl(server.url, "/ws", user.access)), openSocket(wsUrl(server.url, "/ws", user.access))]);
    await Promise.all(pair.map((s) => s.next("hello")));
    socketsOf.set(user.id, pair as [TestSocket, TestSocket]);
  }
  afterAll(() => Promise.all([...socketsOf.values()].flat().map((s) => s.close())));
  const startSeq = Number(
    (
      await db
        .selectFrom("events")
        .select((eb) => eb.fn.max("seq").as("seq"))
        .executeTakeFirstOrThrow()
    ).seq,
  );
  /** Per user: the private frames their sockets must get, in order (and nothing else of the kind). */
  const expectedPrivate = new Map<number, Frame[]>(users.map((u) => [u.id, []]));
  let wsRef = 0;

  /** A WebSocket operation on the user's first socket, answered by an ack or an error with its ref. */
  async function wsOperation(user: TestUser, op: Record<string, unknown>): Promise<Frame> {
    const ref = `op-${++wsRef}`;
    const socket = socketsOf.get(user.id)![0];
    socket.send({ ...op, ref });
    return socket.seen((f) => f.ref === ref && (f.type === "ack" || f.type === "error"));
  }

  async function listedStates(user: TestUser): Promise<Map<number, ReadStateShape>> {
    const response = await api("GET", "/api/conversations/", { token: user.access });
    expect(response.status).toBe(200);
    return new Map((response.body as Record<string, unknown>[]).map((c) => [c.id as number, readStateOf(c)]));
  }

  async function checkEveryone(label: string) {
    for (const user of users) {
      const listed = await listedStates(user);
      const mine = conversations.filter((c) => model.isMember(c, user.id));
      expect([...listed.keys()].sort(), `${label}: ${user.username}'s conversations`).toEqual(mine.sort());
      for (const c of mine)
        expect(listed.get(c), `${label}: ${user.username} in ${c === group.id ? "the group" : "the direct conversation"}`).toEqual(model.state(c, user.id));
    }
  }

  /** After a read or (un)mute that changed something: both sockets get the same private frame, equal to the answer and the list. */
  async function expectPrivateEvent(user: TestUser, type: "unread" | "mute", conversationId: number, answer: ReadStateShape, label: string) {
    const [first, second] = socketsOf.get(user.id)!;
    const matches = (f: Frame) => f.type === type && f.conversation_id === conversationId;
    const [a, b] = await Promise.all([first.next(matches), second.next(matches)]);
    expect(b, label).toEqual(a);
    expect(a.data, label).toEqual({ conversation_id: conversationId, ...answer });
    expect((await listedStates(user)).get(conversationId), label).toEqual(answer);
    expectedPrivate.get(user.id)!.push(a);
  }

  /** Some text with @mentions of random users (members or not, the sender too), and the ids it must resolve to. */
  function textWithMentions(random: ReturnType<typeof prng>, conversationId: number, senderId: number, step: number): { text: string; mentions: number[] } {
    const parts = [`step ${step}`];
    const mentioned = new Set<number>();
    for (let i = random.int(3); i > 0; i--) {
      const target = random.pick(users);
      const form = random.int(5);
      if (form === 4) {
        parts.push(`mail@${target.username}.org`); // inside a word: not a mention
        continue;
      }
      parts.push([`@${target.username}`, `@${target.username}.`, `(@${target.username})`, `@${target.username},`][form]!);
      if (target.id !== senderId && model.isMember(conversationId, target.id)) mentioned.add(target.id);
    }
    return { text: parts.join(" "), mentions: [...mentioned].sort((a, b) => a - b) };
  }

  /** The seeded sequence, checked as it goes: run once, by whichever test needs it first (each may run alone). */
  let sequence: Promise<void> | undefined;
  const runSequence = () =>
    (sequence ??= (async () => {
      const random = prng(SEED);
      const tally: Record<string, number> = {};
      const count = (op: string) => (tally[op] = (tally[op] ?? 0) + 1);

      for (let step = 1; step <= OPERATIONS; step++) {
        const label = `seed ${SEED}, step ${step}`;
        const roll = random.next();
        if (roll < 0.36) {
          // Send, from a member, over REST or the WebSocket.
          const conversationId = random.pick(conversations);
          const sender = byId.get(random.pick(model.membersOf(conversationId)))!;
          const { text, mentions } = textWithMentions(random, conversationId, sender.id, step);
          let message: { id: number; mentions: number[] };
          if (random.chance(0.3)) {
            const ack = await wsOperation(sender, { type: "message.send", conversation_id: conversationId, message: text });
            expect(ack.type, label).toBe("ack");
            message = ack.data;
            count("send (ws)");
          } else {
            const response = await send(api, sender, conversationId, { message: text });
            expect(response.status, label).toBe(201);
            message = response.body;
            count("send");
          }
          expect(message.mentions, `${label}: ${text}`).toEqual(mentions);
          model.messages.push({ id: message.id, conversationId, senderId: sender.id, deleted: false, mentions: new Set(mentions) });
        } else if (roll < 0.44) {
          // Delete: the sender (while still a member), or the group's owner.
          const candidates = model.messages.filter((m) => !m.deleted && (model.isMember(m.conversationId, m.senderId) || m.conversationId === group.id));
          if (!candidates.length) continue;
          const message = random.pick(random.chance(0.5) ? candidates.slice(-6) : candidates);
          const deleter = model.isMember(message.conversationId, message.senderId) && random.chance(0.7) ? byId.get(message.senderId)! : amy;
          if (message.conversationId === direct && deleter === amy) continue;
          const response = await api("DELETE", `/api/messages/${message.conversationId}/${message.id}/`, { token: deleter.access });
          expect(response.status, label).toBe(204);
          message.deleted = true;
          message.mentions.clear();
          count("delete");
        } else if (roll < 0.5) {
          // Edit by the sender: mentions are resolved again against today's members.
          const candidates = model.messages.filter((m) => !m.deleted && model.isMember(m.conversationId, m.senderId));
          if (!candidates.length) continue;
          const message = random.pick(random.chance(0.7) ? candidates.slice(-6) : candidates); // recent ones are more likely unread
          const { text, mentions } = textWithMentions(random, message.conversationId, message.senderId, step);
          const response = await api("PATCH", `/api/messages/${message.conversationId}/${message.id}/`, {
            token: byId.get(message.senderId)!.access,
            body: { message: `${text} (edited)` },
          });
          expect(response.status, label).toBe(200);
          expect(response.body.mentions, `${label}: ${text}`).toEqual(mentions);
          message.mentions = new Set(mentions);
          count("edit");
        } else if (roll < 0.72) {
          // Read up to the newest message, or to any message (an older one changes nothing), over REST or the WebSocket.
          const conversationId = random.pick(conversations);
          const user = byId.get(random.pick(model.membersOf(conversationId)))!;
          const inConversation = model.messagesIn(conversationId);
          if (!inConversation.length) continue;
          const target = random.chance(0.5) ? inConversation.at(-1)! : random.pick(inConversation);
          const member = model.members.get(conversationId)!.get(user.id)!;
          const changes = target.id > (member.lastRead ?? 0);
          if (changes) member.lastRead = target.id;
          let answer: ReadStateShape;
          if (random.chance(0.5)) {
            const ack = await wsOperation(user, { type: "read", conversation_id: conversationId, message_id: target.id });
            expect(ack.type, label).toBe("ack");
            answer = readStateOf(ack.data);
            expect(ack.data.conversation_id, label).toBe(conversationId);
            count("read (ws)");
          } else {
            const response = await api("POST", `/api/conversations/${conversationId}/read/`, { token: user.access, body: { message_id: target.id } });
            expect(response.status, label).toBe(200);
            answer = readStateOf(response.body);
            count("read");
          }
          expect(answer, label).toEqual(model.state(conversationId, user.id));
          if (changes) await expectPrivateEvent(user, "unread", conversationId, answer, label);
        } else if (roll < 0.8) {
          // Mute or unmute (the same state again changes nothing).
          const conversationId = random.pick(conversations);
          const user = byId.get(random.pick(model.membersOf(conversationId)))!;
          const muted = random.chance(0.5);
          const member = model.members.get(conversationId)!.get(user.id)!;
          const changes = member.muted !== muted;
          member.muted = muted;
          const response = await api(muted ? "POST" : "DELETE", `/api/conversations/${conversationId}/mute/`, { token: user.access });
          expect(response.status, label).toBe(200);
          expect(readStateOf(response.body), label).toEqual(model.state(conversationId, user.id));
          if (changes) await expectPrivateEvent(user, "mute", conversationId, readStateOf(response.body), label);
          count(muted ? "mute" : "unmute");
        } else if (roll < 0.93) {
          // ben, cat or dan joins or leaves the group (rejoining starts afresh: history read, not muted).
          const user = random.pick(users.slice(1));
          const leaving = model.isMember(group.id, user.id);
          const response = await api("POST", `/api/groups/${group.id}/${leaving ? "leave" : "join"}/`, { token: user.access });
          expect(response.status, label).toBe(200);
          if (leaving) model.leave(group.id, user.id);
          else model.join(group.id, user.id);
          count(leaving ? "leave" : "join");
        } else {
          // Refused operations change nothing: a non-member reads or mutes, a read names another conversation's message.
          const outsider = users.find((u) => !model.isMember(group.id, u.id));
          const groupMessage = model.messagesIn(group.id).at(-1);
          const directMessage = model.messagesIn(direct).at(-1);
          if (outsider && groupMessage) {
            expect(
              (await api("POST", `/api/conversations/${group.id}/read/`, { token: outsider.access, body: { message_id: groupMessage.id } })).status,
              label,
            ).toBe(403);
            expect((await api("POST", `/api/conversations/${group.id}/mute/`, { token: outsider.access })).status, label).toBe(403);
            const error = await wsOperation(outsider, { type: "read", conversation_id: group.id, message_id: groupMessage.id });
            expect(error.type, label).toBe("error");
          }
          if (groupMessage && directMessage) {
            const wrong = await api("POST", `/api/conversations/${direct}/read/`, { token: ben.access, body: { message_id: groupMessage.id } });
            expect(wrong.status, label).toBe(400);
            expect(Object.keys(wrong.body), label).toEqual(["message_id"]);
          }
          count("refused");
        }
        if (step % CHECK_EVERY === 0) await checkEveryone(label);
      }
      await checkEveryone(`seed ${SEED}, the end`);
      // The sequence exercised every kind of operation, and counts that went up and came down again.
      for (const op of ["send", "send (ws)", "delete", "edit", "read", "read (ws)", "mute", "unmute", "join", "leave", "refused"])
        expect(tally[op] ?? 0, op).toBeGreaterThan(0);
      expect(model.messages.filter((m) => m.mentions.size > 0).length).toBeGreaterThan(5);
    })());

  test(`${OPERATIONS} random operations (seed ${SEED}) keep every member's counts equal to the model`, () => runSequence(), 90_000); // ~6 s alone; a loaded CI machine took over 20

  test("each user's two sockets got exactly their own unread/mute events, and nobody else's", async () => {
    await runSequence();
    let total = 0;
    for (const user of users) {
      const expected = expectedPrivate.get(user.id)!;
      total += expected.length;
      for (const socket of socketsOf.get(user.id)!) expect(socket.frames.filter(isPrivate), user.username).toEqual(expected);
    }
    expect(total).toBeGreaterThan(20);
    // In the log, each is addressed to its user and marked private.
    const logged = await db.selectFrom("events").select(["user_id", "private"]).where("type", "in", ["unread", "mute"]).where("seq", ">", startSeq).execute();
    expect(logged).toHaveLength(total);
    expect(logged.every((e) => e.private === 1 && e.user_id !== null)).toBe(true);
  });

  test("a resume from before the sequence replays each user's own unread/mute events only", async () => {
    await runSequence();
    for (const user of users) {
      const resumed = await openSocket(wsUrl(server.url, "/ws", user.access, { since: String(startSeq) }));
      resumed.send({ type: "ping", ref: "done" });
      await resumed.seen((f) => f.type === "pong" && f.ref === "done"); // the replay is sent before any answer
      expect(resumed.frames.filter(isPrivate), user.username).toEqual(expectedPrivate.get(user.id)!);
      // Read receipts (public) are there for the other members to see; unread counts are not.
      if (user === amy) expect(resumed.frames.some((f) => f.type === "read" && f.data.user_id !== amy.id)).toBe(true);
      await resumed.close();
    }
  });
});
