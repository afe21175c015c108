// The README's walk-through over a real socket: alice and bob register and log in, message each other,
// make a group that carol joins, and carol leaves and loses access to read and to send.
import { expect, test } from "bun:test";
import { listen, type Api } from "./helpers";

const { api } = await listen();

async function registerAndLogin(api: Api, name: string) {
  const email = `${name}-${process.pid}@example.com`;
  const password = "a long enough password";
  const registered = await api("POST", "/api/register/", { body: { username: `${name}${process.pid}`, email, password, first_name: name, last_name: "Flow" } });
  expect(registered.status).toBe(201);
  expect(registered.body.message).toBe("User Created Successfully");
  const login = await api("POST", "/api/login/", { body: { email, password } });
  expect(login.status).toBe(200);
  expect(login.body).toMatchObject({ email, id: registered.body.user.id, name: `${name} Flow` });
  return { id: registered.body.user.id as number, username: registered.body.user.username as string, token: login.body.access as string };
}

test("register, log in, DM, group, join, leave, locked out", async () => {
  const alice = await registerAndLogin(api, "alice");
  const bob = await registerAndLogin(api, "bob");
  const carol = await registerAndLogin(api, "carol");

  // Alice writes to bob: the direct conversation is made on first use; the path id is not used.
  const hello = await api("POST", "/api/messages/0/send/", { token: alice.token, body: { receiver_user: bob.id, message: "Hi Bob!" } });
  expect(hello.status).toBe(201);
  expect(hello.body).toMatchObject({
    sender: alice.id,
    sender_username: alice.username,
    receiver_user: bob.id,
    receiver_group: null,
    message: "Hi Bob!",
    file: null,
  });
  const dm = hello.body.conversation_id;

  // Bob sees it in his conversations and answers in the same conversation.
  const bobsList = await api("GET", "/api/conversations/", { token: bob.token });
  expect(bobsList.status).toBe(200);
  expect(bobsList.body).toHaveLength(1);
  expect(bobsList.body[0]).toMatchObject({ id: dm, kind: "direct", name: alice.username, last_message: { id: hello.body.id, message: "Hi Bob!" } });
  expect(bobsList.body[0].members.map((m: { id: number }) => m.id)).toEqual([alice.id]);
  const reply = await api("POST", `/api/messages/${dm}/send/`, { token: bob.token, body: { message: "Hi Alice 👋" } });
  expect(reply.status).toBe(201);
  expect(reply.body).toMatchObject({ conversation_id: dm, sender: bob.id, receiver_user: alice.id });
  const dmHistory = await api("GET", `/api/messages/${dm}/`, { token: alice.token });
  expect(dmHistory.body.map((m: { message: string }) => m.message)).toEqual(["Hi Alice 👋", "Hi Bob!"]);
  // Carol cannot read it.
  expect((await api("GET", `/api/messages/${dm}/`, { token: carol.token })).status).toBe(403);

  // Alice makes a group with bob (members as the README's string form); carol joins it.
  const created = await api("POST", "/api/groups/create/", { token: alice.token, body: { name: `Weekend plans ${process.pid}`, members: `[${bob.id}]` } });
  expect(created.status).toBe(201);
  const groupId = created.body.id;
  expect([...created.body.members].sort()).toEqual([alice.id, bob.id].sort());
  expect((await api("GET", `/api/messages/${groupId}/`, { token: carol.token })).status).toBe(403);
  const joined = await api("POST", `/api/groups/${groupId}/join/`, { token: carol.token });
  expect(joined.status).toBe(200);
  expect(joined.body).toEqual({ message: "Joined the group successfully." });
  expect((await api("GET", "/api/groups/", { token: carol.token })).body.map((g: { id: number }) => g.id)).toEqual([groupId]);

  // Everyone talks; carol (now a member) reads everything, by path or by receiver_group.
  expect((await api("POST", `/api/messages/${groupId}/send/`, { token: alice.token, body: { message: "Hike on Saturday?" } })).status).toBe(201);
  expect((await api("POST", "/api/messages/0/send/", { token: carol.token, body: { receiver_group: groupId, message: "I'm in!" } })).status).toBe(201);
  const groupHistory = await api("GET", `/api/messages/${groupId}/`, { token: carol.token });
  expect(groupHistory.status).toBe(200);
  expect(groupHistory.body.map((m: { message: string; sender: number }) => [m.sender, m.message])).toEqual([
    [carol.id, "I'm in!"],
    [alice.id, "Hike on Saturday?"],
  ]);

  // Carol leaves and loses access to read and to send, by path and by receiver_group.
  const left = await api("POST", `/api/groups/${groupId}/leave/`, { token: carol.token });
  expect(left.status).toBe(200);
  expect(left.body).toEqual({ message: "Left the group successfully." });
  const read = await api("GET", `/api/messages/${groupId}/`, { token: carol.token });
  expect(read.status).toBe(403);
  expect(JSON.stringify(read.body)).not.toContain("Hike");
  expect((await api("POST", `/api/messages/${groupId}/send/`, { token: carol.token, body: { message: "still here?" } })).status).toBe(403);
  expect((await api("POST", "/api/messages/0/send/", { token: carol.token, body: { receiver_group: groupId, message: "still here?" } })).status).toBe(403);
  expect((await api("GET", "/api/groups/", { token: carol.token })).body).toEqual([]);
  expect((await api("GET", "/api/conversations/", { token: carol.token })).body).toEqual([]);

  // The others still talk, and nothing carol tried after leaving was stored.
  const after = await api("GET", `/api/messages/${groupId}/`, { token: bob.token });
  expect(after.body.map((m: { message: string }) => m.message)).toEqual(["I'm in!", "Hike on Saturday?"]);
  const alicesList = await api("GET", "/api/conversations/", { token: alice.token });
  expect(alicesList.body.map((c: { id: number }) => c.id)).toEqual([groupId, dm]);
});
