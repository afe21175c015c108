// Group administration, live: every change reaches the other members' sockets as a logged event, a client that
// resumes with `since` gets the very same frames, an added user hears the group at once and a removed one stops at once.
import { describe, expect, test } from "bun:test";
import { listen, registerUser } from "../helpers";
import { connect as connectTo, createdWith, openSocket, wsUrl, type TestSocket } from "../ws-helpers";

const { server, api } = await listen();
const [alice, bob, carol, dave] = [
  await registerUser(api, "alice"),
  await registerUser(api, "bob"),
  await registerUser(api, "carol"),
  await registerUser(api, "dave"),
];

const connect = async (token: string, since?: number) => {
  const socket = await connectTo(server.url, token, { since });
  return { socket, seq: (await socket.seen("hello")).data.seq as number };
};
const say = async (user: { access: string }, groupId: number, message: string) => {
  const response = await api("POST", `/api/messages/${groupId}/send/`, { token: user.access, body: { message } });
  expect(response.status).toBe(201);
};
const ADMIN_EVENTS = new Set(["conversation.updated", "member.joined", "member.left", "member.updated"]);

describe("administration events", () => {
  test("rename, privacy, add, promote and remove: live on another member's socket, then the same frames on resume", async () => {
    const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "live admin", members: [bob.id, dave.id] } })).body;
    const { socket: watcher, seq: since } = await connect(bob.access);
    const { socket: carolSocket } = await connect(carol.access);
    const { socket: daveSocket } = await connect(dave.access);

    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { name: "live admin, renamed" } })).status).toBe(200);
    const renamed = await watcher.next("conversation.updated");
    expect(renamed).toMatchObject({ conversation_id: group.id, data: { id: group.id, name: "live admin, renamed", private: false, updated_by: alice.id } });

    expect((await api("PATCH", `/api/groups/${group.id}/`, { token: alice.access, body: { private: true } })).status).toBe(200);
    expect((await watcher.next("conversation.updated")).data).toEqual({
      id: group.id,
      name: "live admin, renamed",
      private: true,
      retention_days: null,
      updated_by: alice.id,
    });

    // Carol is added: everyone hears it, and her open socket is in the group from that moment.
    expect((await api("POST", `/api/groups/${group.id}/members/`, { token: alice.access, body: { user_id: carol.id } })).status).toBe(201);
    const joined = await watcher.next("member.joined");
    expect(joined).toMatchObject({ conversation_id: group.id, data: { user_id: carol.id, role: "member", added_by: alice.id } });
    expect((await carolSocket.next("member.joined")).seq).toBe(joined.seq);
    await say(alice, group.id, "welcome carol");
    expect((await carolSocket.next(createdWith("welcome carol"))).conversation_id).toBe(group.id);

    expect((await api("PATCH", `/api/groups/${group.id}/members/${carol.id}/`, { token: alice.access, body: { role: "admin" } })).status).toBe(200);
    const promoted = await watcher.next("member.updated");
    expect(promoted).toMatchObject({ conversation_id: group.id, data: { user_id: carol.id, role: "admin", previous_role: "member", updated_by: alice.id } });
    expect((await carolSocket.next("member.updated")).seq).toBe(promoted.seq);

    // Carol (now an admin) removes dave: he is told on his own topic, and hears nothing of the group after it.
    const removedAnswer = await api("DELETE", `/api/groups/${group.id}/members/${dave.id}/`, { token: carol.access });
    expect(removedAnswer.status).toBe(200);
    expect(removedAnswer.body.members).not.toContain(dave.id);
    const left = await watcher.next("member.left");
    expect(left).toMatchObject({ conversation_id: group.id, data: { user_id: dave.id, username: dave.username, removed_by: carol.id } });
    expect((await daveSocket.next("member.left")).seq).toBe(left.seq);
    await say(alice, group.id, "after dave was removed");
    await watcher.next(createdWith("after dave was removed"));
    // A frame sent to dave after that message arrives after anything the group could still have sent him.
    await api("POST", "/api/messages/0/send/", { token: dave.access, body: { receiver_user: dave.id, message: "dave marker" } });
    await daveSocket.next(createdWith("dave marker"));
    expect(daveSocket.frames.filter((f) => f.type === "message.created" && f.conversation_id === group.id).map((f) => f.data.message)).toEqual([
      "welcome carol",
    ]);
    expect(daveSocket.frames.filter((f) => f.type === "member.left")).toHaveLength(1);
    // Nor can he read or post by REST any more.
    expect((await api("GET", `/api/messages/${group.id}/`, { token: dave.access })).status).toBe(403);
    expect((await api("POST", `/api/messages/${group.id}/send/`, { token: dave.access, body: { message: "still here?" } })).status).toBe(403);

    // Resume from before it all: the same administration frames, byte for byte, in the same order.
    const live = watcher.frames.filter((f) => ADMIN_EVENTS.has(f.type!) && f.conversation_id === group.id);
    expect(live.map((f) => f.type)).toEqual(["conversation.updated", "conversation.updated", "member.joined", "member.updated", "member.left"]);
    const { socket: resumed } = await connect(bob.access, since);
    await say(alice, group.id, "live after the replay"); // the replay is sent before anything live
    await resumed.next(createdWith("live after the replay"));
    expect(resumed.frames.filter((f) => ADMIN_EVENTS.has(f.type!) && f.conversation_id === group.id)).toEqual(live);
    await Promise.all([watcher, carolSocket, daveSocket, resumed].map((s: TestSocket) => s.close()));
  });

  test("a removed member who resumes gets their own member.left, and nothing of the group after it", async () => {
    const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "removal replay", members: [dave.id] } })).body;
    const { socket: first, seq: since } = await connect(dave.access);
    await first.close();
    await say(alice, group.id, "dave may read this");
    expect((await api("DELETE", `/api/groups/${group.id}/members/${dave.id}/`, { token: alice.access })).status).toBe(200);
    await say(alice, group.id, "dave must not read this");

    const { socket: resumed } = await connect(dave.access, since);
    await api("POST", "/api/messages/0/send/", { token: dave.access, body: { receiver_user: dave.id, message: "dave is back" } });
    await resumed.next(createdWith("dave is back")); // live, so after every replayed frame
    const left = resumed.frames.find((f) => f.type === "member.left");
    expect(left).toMatchObject({ conversation_id: group.id, data: { user_id: dave.id, removed_by: alice.id } });
    const groupFrames = resumed.frames.filter((f) => f.conversation_id === group.id);
    expect(groupFrames.map((f) => f.type)).toEqual(["member.left"]);
    expect(JSON.stringify(resumed.frames)).not.toContain("must not read");
    await resumed.close();
  });

  test("a removed member's socket on the original's endpoint is closed (1008)", async () => {
    const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "legacy removal", members: [carol.id] } })).body;
    const legacy = await openSocket(wsUrl(server.url, `/ws/chat/${group.id}/`, carol.access));
    expect((await api("DELETE", `/api/groups/${group.id}/members/${carol.id}/`, { token: alice.access })).status).toBe(200);
    expect((await legacy.closed).code).toBe(1008);
  });
});
