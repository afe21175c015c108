// POST /api/logout/all/: every login of the account ends (tokens and sockets), other accounts' do not.
import { afterAll, describe, expect, test } from "bun:test";
import { listen, registerUser } from "../helpers";
import { connect } from "../ws-helpers";

const { server, api } = await listen();
afterAll(() => server.stop());

describe("log out everywhere", () => {
  test("ends every token and socket of the account, this login included; a new login works", async () => {
    const user = await registerUser(api, "everywhere");
    const other = await registerUser(api, "bystander");
    const second = (await api("POST", "/api/login/", { body: { email: user.email, password: user.password } })).body;
    const socket = await connect(server.url, second.access);
    const bystanderSocket = await connect(server.url, other.access);

    const answer = await api("POST", "/api/logout/all/", { token: user.access });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ message: "Logged out everywhere" });

    expect(await socket.closed).toEqual({ code: 1008, reason: "Logged out everywhere" });
    for (const token of [user.access, second.access]) expect((await api("GET", "/api/users/protected/", { token })).status).toBe(401);
    for (const refresh of [user.refresh, second.refresh]) expect((await api("POST", "/api/token/refresh/", { body: { refresh } })).status).toBe(401);

    expect((await api("GET", "/api/users/protected/", { token: other.access })).status).toBe(200);
    expect(bystanderSocket.ws.readyState).toBe(WebSocket.OPEN);
    await bystanderSocket.close();

    const again = await api("POST", "/api/login/", { body: { email: user.email, password: user.password } });
    expect(again.status).toBe(200);
    expect((await api("GET", "/api/users/protected/", { token: again.body.access })).status).toBe(200);
  });

  test("needs a login", async () => {
    expect((await api("POST", "/api/logout/all/")).status).toBe(401);
  });
});
