// The typed client's REST methods against a real server: each one called at least once, answers checked against the
// database, and failures as ParleyError with status, code, field errors and Retry-After.
import { describe, expect, test } from "bun:test";
import { ParleyClient, ParleyError, memoryStore } from "../../src/client";
import { makeStaff } from "../chat-helpers";
import { checkedFetch, listen, queryRows, registerUser } from "../helpers";
import { loggedIn } from "./client-helpers";

describe("parley/client REST", async () => {
  // Three logins per account a minute: enough for the tests, and a 429 to read Retry-After from.
  const { server, api } = await listen({ limitLoginAccount: { capacity: 3, periodMs: 60_000 } });
  const [bob, carol, staff] = [await registerUser(api, "bob"), await registerUser(api, "carol"), await registerUser(api, "staff")];
  await makeStaff(server.parley, staff.id);

  test("accounts: register, log in, me, profile calls, ws-ticket, presence, logout", async () => {
    const client = new ParleyClient({ baseUrl: server.url, fetch: checkedFetch });
    const registered = await client.register({
      username: "alice_rest",
      email: "alice_rest@example.com",
      password: "correct horse battery",
      first_name: "Alice",
    });
    expect(registered.user).toMatchObject({ username: "alice_rest", first_name: "Alice" });
    const session = await client.login("alice_rest@example.com", "correct horse battery");
    expect(session.user).toEqual({ id: registered.user.id, email: "alice_rest@example.com", username: "alice_rest" });
    expect(client.store.get()).toEqual(session);
    expect((await client.me()).username).toBe("alice_rest");
    expect(await client.checkToken()).toEqual({ message: "Access granted!", email: "alice_rest@example.com" });
    expect((await client.user(bob.id)).username).toBe(bob.username);
    expect((await client.lookupUser(bob.username.toUpperCase())).id).toBe(bob.id);
    expect((await client.updateUser(session.user.id, { first_name: "Alicia" })).first_name).toBe("Alicia");
    const ticket = await client.wsTicket();
    expect(ticket.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await client.createGroup("alice-and-bob", [bob.id]); // presence is for contacts: group co-members
    expect(await client.presence([bob.id])).toEqual([{ user_id: bob.id, status: "offline" }]);
    // PUT sets the password too, which ends every session of the account: log in again after it.
    const replaced = await client.replaceUser(session.user.id, {
      username: "alice_rest",
      email: "alice_rest@example.com",
      password: "correct horse battery",
      first_name: "Al",
      last_name: "Ice",
      current_password: "correct horse battery",
    });
    expect(replaced).toMatchObject({ first_name: "Al", last_name: "Ice" });
    const again = await client.login("alice_rest@example.com", "correct horse battery");
    const ended: string[] = [];
    client.onSessionEnd((reason) => ended.push(reason));
    const refresh = again.refresh;
    await client.logout();
    expect(ended).toEqual(["logout"]);
    expect(client.session).toBeNull();
    expect(client.store.get()).toBeNull();
    expect((await api("POST", "/api/token/refresh/", { body: { refresh } })).status).toBe(401);
    const refused = await client.me().catch((error) => error);
    expect(refused).toBeInstanceOf(ParleyError);
    expect(refused.status).toBe(401);
  });

  test("groups and conversations: create, list, directory, join, leave, rename, members, roles, pins, read, mute", async () => {
    const alice = await loggedIn(server.url, await registerUser(api, "alice"));
    const me = alice.session!.user.id;
    const group = await alice.createGroup("client-team", [bob.id]);
    expect(group).toMatchObject({ name: "client-team", members: [me, bob.id].sort((a, b) => a - b), private: false });
    expect((await alice.groups()).map((g) => g.id)).toContain(group.id);
    const directory = await alice.groupDirectory({ q: "client-te", limit: 5 });
    expect(directory.find((g) => g.id === group.id)).toMatchObject({ member_count: 2, is_member: true });
    const carolClient = await loggedIn(server.url, carol);
    expect(await carolClient.joinGroup(group.id)).toEqual({ message: "Joined the group successfully." });
    expect(await carolClient.leaveGroup(group.id)).toEqual({ message: "Left the group successfully." });
    expect((await alice.updateGroup(group.id, { name: "client-team-2" })).name).toBe("client-team-2");
    expect((await alice.addMember(group.id, carol.id)).members).toContain(carol.id);
    expect((await alice.changeRole(group.id, carol.id, "admin")).roles).toContainEqual({ user_id: carol.id, role: "admin" });
    expect((await alice.removeMember(group.id, carol.id)).members).not.toContain(carol.id);
    const list = await alice.conversations();
    expect(list.find((c) => c.id === group.id)).toMatchObject({ kind: "group", name: "client-team-2" });
    const direct = await alice.direct(bob.id);
    expect(direct).toMatchObject({ kind: "direct" });
    const sent = await alice.sendMessage(group.id, { message: "pin me" });
    expect((await alice.pin(group.id, sent.id)).id).toBe(sent.id);
    expect((await alice.pins(group.id)).map((m) => m.id)).toEqual([sent.id]);
    expect((await alice.pin(group.id, sent.id, false)).id).toBe(sent.id);
    expect(await alice.pins(group.id)).toEqual([]);
    const bobClient = await loggedIn(server.url, bob);
    expect(await bobClient.markRead(group.id, sent.id)).toMatchObject({ conversation_id: group.id, last_read_message_id: sent.id, unread_count: 0 });
    expect((await bobClient.mute(group.id)).muted).toBe(true);
    expect((await bobClient.mute(group.id, false)).muted).toBe(false);
  });

  test("messages: send (JSON, idempotent, file), history, edit, react, replies, mentions, search, file info, delete", async () => {
    const alice = await loggedIn(server.url, await registerUser(api, "alice"));
    const { id } = await alice.direct(bob.id);
    const first = await alice.sendMessage(id, { message: `hello @${bob.username} searchable-word`, client_id: "c-1" });
    expect(await alice.sendMessage(id, { message: "ignored", client_id: "c-1" })).toEqual(first); // stored once
    expect(await queryRows(server.parley, "SELECT count(*) AS n FROM messages WHERE conversation_id = ?", [id])).toEqual([{ n: 1 }]);
    const bytes = new TextEncoder().encode("file bytes\n");
    const withFile = await alice.sendFile(id, new Blob([bytes], { type: "text/plain" }), { name: "notes.txt", message: "see file", client_id: "c-2" });
    expect(withFile.attachment).toMatchObject({ name: "notes.txt", size: bytes.length, content_type: "text/plain" });
    const info = await alice.fileInfo(withFile.id);
    expect(info).toMatchObject({ name: "notes.txt", size: bytes.length });
    expect(new Uint8Array(await (await checkedFetch(new URL(info.file_url, server.url))).arrayBuffer())).toEqual(bytes);
    expect((await alice.messages(id)).map((m) => m.id)).toEqual([withFile.id, first.id]);
    expect((await alice.messages(id, { before: withFile.id, limit: 5 })).map((m) => m.id)).toEqual([first.id]);
    expect((await alice.messages(id, { after: first.id })).map((m) => m.id)).toEqual([withFile.id]);
    expect((await alice.messages(id, { around: first.id, limit: 2 })).map((m) => m.id)).toEqual([withFile.id, first.id]);
    expect((await alice.editMessage(id, first.id, `hello again @${bob.username} searchable-word`)).edited_at).not.toBeNull();
    expect(await alice.react(id, first.id, "👍")).toEqual({
      message_id: first.id,
      reactions: [{ emoji: "👍", count: 1, me: true, users: [alice.session!.user.id] }],
    });
    expect(await alice.unreact(id, first.id, "👍")).toEqual({ message_id: first.id, reactions: [] });
    const bobClient = await loggedIn(server.url, bob);
    const reply = await bobClient.sendMessage(id, { message: "a reply", reply_to: first.id });
    expect((await alice.replies(id, first.id)).map((m) => m.id)).toEqual([reply.id]);
    expect((await bobClient.mentions({ limit: 10 })).map((m) => m.id)).toContain(first.id);
    const found = await alice.search({ q: "searchable-word", conversation_id: id });
    expect(found.results.map((r) => r.id)).toEqual([first.id]);
    expect(await alice.deleteMessage(id, reply.id).catch((error) => error)).toMatchObject({ status: 403 }); // not the sender
    expect(await alice.deleteMessage(id, first.id)).toBeNull();
    expect((await alice.messages(id)).find((m) => m.id === first.id)).toMatchObject({ deleted: true, message: "" });
  });

  test("admin: users, groups, deactivate, reactivate, delete any message; a user deletes their account", async () => {
    const admin = await loggedIn(server.url, staff);
    const victim = await registerUser(api, "victim");
    expect((await admin.adminUsers({ q: victim.username })).map((u) => u.id)).toEqual([victim.id]);
    expect((await admin.adminGroups({ limit: 200 })).length).toBeGreaterThan(0);
    expect((await admin.setActive(victim.id, false)).is_active).toBe(false);
    expect((await admin.setActive(victim.id, true)).is_active).toBe(true);
    const victimClient = await loggedIn(server.url, victim);
    const { id } = await victimClient.direct(bob.id);
    const message = await victimClient.sendMessage(id, { message: "to be removed" });
    expect(await admin.adminDeleteMessage(message.id)).toBeNull();
    expect(await victimClient.deleteUser(victim.id)).toBeNull();
    expect(await queryRows(server.parley, "SELECT id FROM users WHERE id = ?", [victim.id])).toEqual([]);
  });

  test("errors are ParleyError: field errors, detail and code, Retry-After on 429, status 0 when unreachable", async () => {
    const client = new ParleyClient({ baseUrl: server.url, fetch: checkedFetch });
    const invalid = await client.register({ username: "", email: "not an email", password: "x" }).catch((error) => error);
    expect(invalid).toBeInstanceOf(ParleyError);
    expect(invalid.status).toBe(400);
    expect(invalid.code).toBe("invalid");
    expect(Object.keys(invalid.fields)).toEqual(expect.arrayContaining(["email"]));
    const alice = await loggedIn(server.url, await registerUser(api, "alice"));
    const missing = await alice.lookupUser("nobody-at-all").catch((error) => error);
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
    expect(missing.detail).toBeTruthy();
    const fresh = { username: "dave_rest", email: "dave_rest@example.com", password: "correct horse battery" };
    await client.register(fresh);
    const attempts: ParleyError[] = [];
    for (let i = 0; i < 4; i++) attempts.push(await client.login(fresh.email, "wrong password").catch((error) => error));
    expect(attempts.map((e) => e.status)).toEqual([401, 401, 401, 429]);
    expect(attempts[3]!.code).toBe("rate_limited");
    expect(attempts[3]!.retryAfter).toBeGreaterThan(0);
    const offline = new ParleyClient({ baseUrl: "http://127.0.0.1:9", store: memoryStore() });
    const unreachable = await offline.register({ username: "x", email: "x@example.com", password: "correct horse battery" }).catch((error) => error);
    expect(unreachable).toMatchObject({ status: 0, transient: true });
  });
});
