// A refresh token used twice revokes its whole login (the token family, OAuth 2.0 Security BCP): the thief's and the
// victim's tokens and sockets alike; the user's other logins go on.
import { describe, expect, test } from "bun:test";
import { createGroup, sendText } from "../chat-helpers";
import { decodeJwt, listen, queryRows, registerUser, signJwt, type TestUser } from "../helpers";
import { connect as connectTo, type TestSocket } from "../ws-helpers";

const SECRET = "r".repeat(40);
const { server, api } = await listen({ jwtSecret: SECRET });

const refresh = (token: string) => api("POST", "/api/token/refresh/", { body: { refresh: token } });
const protectedWith = (token: string) => api("GET", "/api/users/protected/", { token });
const logIn = async (user: TestUser) =>
  (await api("POST", "/api/login/", { body: { email: user.email, password: user.password } })).body as { access: string; refresh: string };
const connect = (access: string) => connectTo(server.url, access);

/** Asserts that the socket is still open and delivering: it hears a message sent now. */
async function stillHears(socket: TestSocket, user: TestUser, conversationId: number, text: string) {
  await sendText(api, user, conversationId, text);
  expect((await socket.next((f) => f.type === "message.created" && f.data.message === text)).data.message).toBe(text);
}

function expectReuseRefused(response: { status: number; body: any; headers: Headers }) {
  expect(response.status).toBe(401);
  expect(response.body.code).toBe("token_not_valid");
  expect(response.body.detail).toContain("every token of this login is revoked");
  expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
}

describe("reusing a rotated refresh token revokes every token of its login", () => {
  test("the victim's side: a thief replays a spent refresh token; the victim's current tokens and sockets die, another login goes on", async () => {
    const user = await registerUser(api, "victim");
    const group = await createGroup(api, user);
    const other = await logIn(user); // another device: a login of its own
    const otherSocket = await connect(other.access);
    const firstSocket = await connect(user.access);

    const rotated = await refresh(user.refresh);
    expect(rotated.status).toBe(200);
    expect(decodeJwt(rotated.body.refresh).payload.fam).toBe(decodeJwt(user.refresh).payload.fam);
    const currentSocket = await connect(rotated.body.access);
    expect((await protectedWith(rotated.body.access)).status).toBe(200);

    expectReuseRefused(await refresh(user.refresh)); // the thief, with the token the victim spent

    expect((await firstSocket.closed).code).toBe(1008);
    expect((await currentSocket.closed).code).toBe(1008);
    for (const access of [user.access, rotated.body.access]) expect((await protectedWith(access)).status).toBe(401);
    const afterwards = await refresh(rotated.body.refresh);
    expect(afterwards.status).toBe(401);
    expect(afterwards.body.detail).toBe("Token is blacklisted"); // the family is revoked already: nothing more to do
    const family = decodeJwt(user.refresh).payload.fam;
    const [row] = await queryRows(server.parley, "SELECT expires_at FROM revoked_tokens WHERE jti = ?", [`family:${family}`]);
    expect(Number(row.expires_at)).toBeGreaterThan(Date.now() + server.parley.ctx.config.refreshTtlMs - 60_000);

    // The other login: its access token, its socket and its refresh token all still work.
    expect((await protectedWith(other.access)).status).toBe(200);
    await stillHears(otherSocket, { ...user, access: other.access }, group.id, "still here");
    expect((await refresh(other.refresh)).status).toBe(200);
    // And the user can log in again.
    expect((await protectedWith((await logIn(user)).access)).status).toBe(200);
    otherSocket.ws.close();
  });

  test("the thief's side: the thief rotated first; when the victim uses its spent token, the thief's pair and socket die", async () => {
    const user = await registerUser(api, "robbed");
    const stolen = user.refresh;
    const thief = (await refresh(stolen)).body as { access: string; refresh: string };
    const thiefSocket = await connect(thief.access);
    expect((await protectedWith(thief.access)).status).toBe(200);

    expectReuseRefused(await refresh(stolen)); // the victim's scheduled refresh, with the token the thief spent

    expect((await thiefSocket.closed).code).toBe(1008);
    expect((await protectedWith(thief.access)).status).toBe(401);
    expect((await refresh(thief.refresh)).status).toBe(401);
    expect((await protectedWith(user.access)).status).toBe(401);
  });

  test("of two concurrent uses of one refresh token, one gets a pair, and the reuse revokes it", async () => {
    const user = await registerUser(api, "racer");
    const results = await Promise.all([refresh(user.refresh), refresh(user.refresh)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const winner = results.find((r) => r.status === 200)!.body;
    expect((await protectedWith(winner.access)).status).toBe(401);
    expect((await refresh(winner.refresh)).status).toBe(401);
  });

  test("a refresh token issued before families (no fam claim) heads its own: its rotations die with it", async () => {
    const user = await registerUser(api, "legacy");
    const now = Math.floor(Date.now() / 1000);
    const old = signJwt({ token_type: "refresh", user_id: user.id, jti: crypto.randomUUID(), iat: now, exp: now + 600, gen: 0 }, SECRET);
    const rotated = await refresh(old);
    expect(rotated.status).toBe(200);
    expect(decodeJwt(rotated.body.access).payload.fam).toBe(decodeJwt(old).payload.jti);
    expectReuseRefused(await refresh(old));
    expect((await protectedWith(rotated.body.access)).status).toBe(401);
    expect((await protectedWith(user.access)).status).toBe(200); // registerUser's login is another family
  });
});
