// What the message-feature tests share: a listening server with a cast of users in a group and a direct
// conversation, the latest event seq, and a socket that has had its hello.
import type { RunningServer } from "../../src/server";
import { listen, type Api, type TestUser } from "../helpers";
import { connect, type TestSocket } from "../ws-helpers";
import { createGroup, directWith, makeStaff, registerUsers } from "../chat-helpers";

/** The newest seq in the event log. */
export async function lastSeq(server: RunningServer): Promise<number> {
  const row = await server.parley.ctx.db
    .selectFrom("events")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .executeTakeFirstOrThrow();
  return Number(row.seq);
}

/** A /ws socket of the user (resuming after `since` when given), past its hello frame. */
export const socketOf = (server: RunningServer, user: TestUser, since?: number): Promise<TestSocket> => connect(server.url, user.access, { since });

/**
 * alice owns the group, dave is its admin, bob and carol are plain members, eve is a stranger, staff is staff
 * (not a member); bob and carol also share a direct conversation.
 */
export async function cast(): Promise<{
  server: RunningServer;
  api: Api;
  alice: TestUser;
  bob: TestUser;
  carol: TestUser;
  dave: TestUser;
  eve: TestUser;
  staff: TestUser;
  group: { id: number };
  bobCarol: number;
}> {
  const { server, api } = await listen();
  const [alice, bob, carol, dave, eve, staff] = await registerUsers(api, ["alice", "bob", "carol", "dave", "eve", "staff"]);
  await makeStaff(server.parley, staff.id);
  const group = await createGroup(api, alice, [bob.id, carol.id, dave.id]);
  const promoted = await api("PATCH", `/api/groups/${group.id}/members/${dave.id}/`, { token: alice.access, body: { role: "admin" } });
  if (promoted.status !== 200) throw new Error(`promote: ${promoted.status}`);
  return { server, api, alice, bob, carol, dave, eve, staff, group, bobCarol: await directWith(api, bob, carol) };
}
