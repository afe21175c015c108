// The wall clock jumps back an hour, then forward two (to an hour ahead), then back to the right time, under a running
// server (libfaketime, preloaded into the server process, its offset moved through a control file; the monotonic
// clock is left alone, as NTP and a VM resume leave it): messages and seqs keep their order (seqs and ids come from
// the database, not the time), token expiry is off by no more than the jump, and the sweeper keeps running (its
// timers are monotonic). Nothing acknowledged is lost.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../chat-helpers";
import { httpClient, registerUser, tempDir, type Api } from "../helpers";
import { parse, serve, stop, type Server } from "../process-helpers";
import { skipWithout } from "../test-services";
import { connect, upgradeStatus, type TestSocket } from "../ws-helpers";

const LIBFAKETIME = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
].find(existsSync);
const skipped = skipWithout("clock tests", LIBFAKETIME ? null : "no libfaketime (apt-get install faketime)");

const HOUR = 3_600_000;

describe.skipIf(skipped)("a wall-clock jump", () => {
  let server: Server;
  afterAll(async () => {
    if (server) await stop(server).catch(() => undefined);
  });

  test("back an hour and forward two: order, seqs, token expiry and the sweeper hold", async () => {
    const dataDir = tempDir();
    const control = join(dataDir, "..", `faketime-${process.pid}`);
    writeFileSync(control, "+0");
    server = await serve(dataDir, {
      LD_PRELOAD: LIBFAKETIME!,
      FAKETIME_TIMESTAMP_FILE: control,
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
      FAKETIME_CACHE_DURATION: "1",
      PARLEY_RATE_LIMITS: "off",
      PARLEY_ACCESS_TTL: "2h",
      PARLEY_SWEEP_INTERVAL: "1s",
      PARLEY_FILE_TTL: "3s",
    });
    const api: Api = httpClient(server.url);
    const alice = await registerUser(api, "alice");
    const group = (await api("POST", "/api/groups/create/", { token: alice.access, body: { name: "through time" } })).body.id as number;
    const socket: TestSocket = await connect(server.url, alice.access);

    /** The server's wall clock, as its pong says it. */
    let pings = 0;
    const serverClock = async () => {
      const ref = `clock-${++pings}`;
      socket.send({ type: "ping", ref });
      return Date.parse((await socket.next((f) => f.ref === ref)).data.time);
    };
    /** Moves the server's clock `offset` (libfaketime's "+0", "-1h", "+1h") and waits until it has. */
    const setClock = async (offset: string, expectedMs: number) => {
      writeFileSync(control, offset);
      expect(await waitFor(async () => Math.abs((await serverClock()) - Date.now() - expectedMs) < 60_000, 5_000)).toBe(true);
    };
    const sent: { id: number; timestamp: string }[] = [];
    const sendText = async (message: string) => {
      const response = await api("POST", `/api/messages/${group}/send/`, { token: alice.access, body: { message } });
      expect(response.status).toBe(201);
      sent.push(response.body);
    };
    const whoami = (token: string) => api("GET", "/api/users/protected/", { token });
    const login = async () => (await api("POST", "/api/token/", { body: { email: alice.email, password: alice.password } })).body.access as string;
    const housekept = (key: string) => server.lines.map(parse).filter((entry) => entry?.msg === "housekeeping" && entry[key] > 0).length;

    await sendText("before the jumps");
    const tokenIssuedOnTime = alice.access;

    // Back an hour.
    await setClock("-1h", -HOUR);
    expect((await whoami(tokenIssuedOnTime)).status).toBe(200); // issued "in the future": still good
    const tokenIssuedAnHourBehind = await login();
    await sendText("an hour behind");
    const ticket = (await api("POST", "/api/ws-ticket/", { token: alice.access })).body.ticket as string;
    expect(ticket).toEqual(expect.any(String));
    // The sweeper still runs on an interval (a wall-clock timer would wait an hour now): a file past its 3 s TTL goes.
    const filesSwept = housekept("expired_files_removed");
    const form = new FormData();
    form.append("file", new Blob(["short-lived"]), "short.txt");
    expect((await api("POST", `/api/messages/${group}/send/`, { token: alice.access, body: form })).status).toBe(201);
    expect(await waitFor(() => housekept("expired_files_removed") > filesSwept, 10_000)).toBe(true);

    // Forward to an hour ahead.
    await setClock("+1h", HOUR);
    expect((await whoami(tokenIssuedOnTime)).status).toBe(200); // 2 h TTL, an hour gone: still good
    // Issued an hour behind with 2 h to live, now seen from an hour ahead: expired — by the jump, and no more.
    expect((await whoami(tokenIssuedAnHourBehind)).status).toBe(401);
    const tokenIssuedAnHourAhead = await login();
    await sendText("an hour ahead");
    // The ticket's 30 s passed for this clock: the sweeper removes it, and it no longer opens a socket.
    expect(await waitFor(() => housekept("ws_tickets_removed") > 0, 5_000)).toBe(true);
    expect(await upgradeStatus(server.url, `/ws?ticket=${encodeURIComponent(ticket)}`)).toBe(401);

    // Back to the right time.
    await setClock("+0", 0);
    expect((await whoami(tokenIssuedAnHourAhead)).status).toBe(200);
    expect((await whoami(tokenIssuedOnTime)).status).toBe(200);
    await sendText("on time again");

    // Ids and seqs kept the order of sending; the timestamps show the jumps as they were.
    const ids = sent.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const times = sent.map((m) => Date.parse(m.timestamp));
    expect(times[1]! - times[0]!).toBeLessThan(-HOUR + 60_000);
    expect(times[2]! - times[1]!).toBeGreaterThan(2 * HOUR - 60_000);
    const frames = await waitFor(() => socket.frames.filter((f) => f.type === "message.created").length >= sent.length + 1).then(() =>
      socket.frames.filter((f) => f.type === "message.created"),
    );
    const seqs = frames.map((f) => f.seq!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(frames.map((f) => f.data.id).filter((id) => ids.includes(id))).toEqual(ids);
    const history = await api("GET", `/api/messages/${group}/?limit=100`, { token: alice.access });
    expect(history.status).toBe(200);
    expect((history.body as { id: number }[]).map((m) => m.id).filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    // A socket resuming from before the jumps gets every one once, in seq order.
    const resumed = await connect(server.url, alice.access, { since: 0 });
    await waitFor(() => resumed.frames.filter((f) => f.type === "message.created").length >= frames.length);
    expect(resumed.frames.filter((f) => f.type === "message.created").map((f) => f.seq)).toEqual(seqs);
    await resumed.close();
    await socket.close();
  }, 40_000);
});
