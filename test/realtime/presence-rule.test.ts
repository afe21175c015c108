// Who hears whose presence: members of a group together, and the two sides of a direct conversation once both have
// written in it — not someone who merely opened a direct conversation with you.
import { describe, expect, test } from "bun:test";
import { createGroup, directWith, registerUsers } from "../chat-helpers";
import { listen } from "../helpers";
import { connect, presenceFrame } from "../ws-helpers";

describe("presence goes only to people who really share a conversation", async () => {
  const { server, api } = await listen();
  const [xavier, stranger, colleague] = await registerUsers(api, ["xavier", "stranger", "colleague"] as const);
  await createGroup(api, colleague, [xavier.id]);
  const open = (token: string) => connect(server.url, token);
  const presenceOf = async (token: string, ids: number[]) => (await api("GET", `/api/presence/?user_ids=${ids.join(",")}`, { token })).body;
  const send = async (token: string, conversationId: number, message: string) =>
    expect((await api("POST", `/api/messages/${conversationId}/send/`, { token, body: { message } })).status).toBe(201);

  test("a stranger who opens a direct conversation and writes hears nothing until the other writes back; group co-members do", async () => {
    const direct = await directWith(api, stranger, xavier);
    await send(stranger.access, direct, "hi, are you there?");
    const watcher = await open(stranger.access);
    const coMember = await open(colleague.access);

    const x1 = await open(xavier.access);
    await coMember.next(presenceFrame(xavier.id, "online"));
    // The announcement went out in one pass over the contacts: a pong after it on the stranger's socket is the marker.
    watcher.send({ type: "ping" });
    await watcher.next("pong");
    expect(watcher.frames.filter((f) => f.type === "presence")).toEqual([]);
    expect(await presenceOf(stranger.access, [xavier.id])).toEqual([]);
    expect(await presenceOf(xavier.access, [stranger.id])).toEqual([]);
    expect(await presenceOf(colleague.access, [xavier.id])).toEqual([{ user_id: xavier.id, status: "online" }]);

    await send(xavier.access, direct, "yes, hello");
    expect(await presenceOf(stranger.access, [xavier.id])).toEqual([{ user_id: xavier.id, status: "online" }]);
    expect(await presenceOf(xavier.access, [stranger.id])).toEqual([{ user_id: stranger.id, status: "online" }]);
    await x1.close();
    await watcher.next(presenceFrame(xavier.id, "offline"));
    await coMember.next(presenceFrame(xavier.id, "offline"));
    const x2 = await open(xavier.access);
    await watcher.next(presenceFrame(xavier.id, "online"));
    await Promise.all([x2.close(), watcher.close(), coMember.close()]);
  });
});
