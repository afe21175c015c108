// Moving an installation from SQLite onto PostgreSQL as a self-hoster would: a SQLite data dir with history, a
// reply, a reaction, a file, read state and logged-in users; the server stopped; `parley copy-to-postgres` (the real
// entry); the same data dir served from PostgreSQL. Everything a user or client had must still be there and work.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checkedFetch, listen, queryRows, type Api, type TestUser } from "../helpers";
import { createGroup, directWith, randomBytes, registerUsers, send, sendText, upload } from "../chat-helpers";
import { run } from "../process-helpers";
import { openSocket, wsUrl } from "../ws-helpers";
import { onPostgres, postgresDatabaseFor } from "../test-database";
import { postgresProblem, skipWithout } from "../test-services";

const copyCommand = (args: string[], env: Record<string, string> = {}) => run(["copy-to-postgres", ...args], { env });

/** A conversation's whole history as alice sees it, without the signed file links (they carry their signing time). */
async function history(api: Api, user: TestUser, conversationId: number) {
  const response = await api("GET", `/api/messages/${conversationId}/?limit=100`, { token: user.access });
  expect(response.status).toBe(200);
  return response.body.map(({ file, ...message }: { file: string | null }) => ({ ...message, has_file: file !== null }));
}

// The source is SQLite, whichever database the rest of the suite runs on.
describe.skipIf(onPostgres || skipWithout("copy-to-postgres tests", postgresProblem()))("parley copy-to-postgres", () => {
  test("moves everything: logins and tokens, history with replies, reactions and files, read state, search, resume by seq", async () => {
    const sqliteSide = await listen({ jwtSecret: null, databaseUrl: null });
    const { api, config } = sqliteSide;
    const [alice, bob] = await registerUsers(api, ["mover", "stayer"] as const);
    const group = await createGroup(api, alice, [bob.id]);
    const direct = await directWith(api, alice, bob);
    const parent = await sendText(api, alice, group.id, "the platypus question");
    const reply = (await send(api, bob, group.id, { message: "an answer", reply_to: parent.id })).body;
    expect((await api("POST", `/api/messages/${group.id}/${parent.id}/reactions/`, { token: bob.access, body: { emoji: "👍" } })).status).toBe(201);
    const bytes = randomBytes(4096);
    const withFile = (await upload(api, bob, direct, bytes, "notes.bin", "application/octet-stream", { message: "a file" })).body;
    await sendText(api, bob, direct, "unread by alice");
    expect((await api("POST", `/api/conversations/${group.id}/read/`, { token: alice.access, body: { message_id: reply.id } })).status).toBe(200);
    const before = {
      group: await history(api, alice, group.id),
      direct: await history(api, alice, direct),
      conversations: (await api("GET", "/api/conversations/", { token: alice.access })).body,
    };
    const lastSeq = (await queryRows<{ seq: number }>(sqliteSide.server.parley, "SELECT max(seq) AS seq FROM events"))[0]!.seq;
    const lastId = (await queryRows<{ id: number }>(sqliteSide.server.parley, "SELECT max(id) AS id FROM messages"))[0]!.id;
    await sqliteSide.server.stop();

    const url = postgresDatabaseFor(`${config.dataDir}#copy`);
    const copied = await copyCommand([url, "--data-dir", config.dataDir]);
    expect(copied.stderr).toBe("");
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(/ messages\s+4\n/);
    // Twice is refused: the target is no longer empty.
    const again = await copyCommand([url, "--data-dir", config.dataDir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("parley: copy-to-postgres: the PostgreSQL database already has users; copy only into an empty database\n");

    const { server, api: pg } = await listen({ dataDir: config.dataDir, databaseUrl: url, jwtSecret: null });
    expect(server.parley.database.kind).toBe("postgres");
    // A new database is a new cluster: the copy does not take the SQLite database's cluster id along.
    expect(server.parley.ctx.cluster.id).toMatch(/^[0-9a-f]{24}$/);
    expect(server.parley.ctx.cluster.id).not.toBe(sqliteSide.server.parley.ctx.cluster.id);
    // Sessions survive the move: the old access token works, and so do passwords.
    expect((await pg("GET", "/api/users/protected/", { token: alice.access })).status).toBe(200);
    expect((await pg("POST", "/api/login/", { body: { email: bob.email, password: bob.password } })).status).toBe(200);
    expect(await history(pg, alice, group.id)).toEqual(before.group);
    expect(await history(pg, alice, direct)).toEqual(before.direct);
    expect((await pg("GET", "/api/conversations/", { token: alice.access })).body).toEqual(before.conversations);
    // The file is served from the same uploads folder, byte for byte.
    const [fileMessage] = (await pg("GET", `/api/messages/${direct}/?limit=100`, { token: alice.access })).body.filter(
      (m: { id: number }) => m.id === withFile.id,
    );
    const download = await checkedFetch(new URL(fileMessage.file, server.url));
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    // Search works over the copied text (PostgreSQL's own indexes).
    const found = await pg("GET", "/api/search/?q=platypus", { token: bob.access });
    expect(found.body.results.map((r: { id: number }) => r.id)).toEqual([parent.id]);
    // A client resumes with a seq from before the move; new rows get fresh ids and seqs after the copied ones.
    const socket = await openSocket(wsUrl(server.url, "/ws", alice.access, { since: String(lastSeq - 1) }));
    const replayed = await socket.next((f) => f.seq === lastSeq);
    expect(replayed.type).toBe("unread"); // alice's own read marker, the last thing before the move
    expect(socket.frames.filter((f) => typeof f.seq === "number" && f.type !== "hello").map((f) => f.seq)).toEqual([lastSeq]);
    const fresh = await sendText(pg, bob, direct, "after the move");
    expect(fresh.id).toBe(lastId + 1);
    const live = await socket.next((f) => f.type === "message.created" && f.data.id === fresh.id);
    expect(live.seq).toBeGreaterThan(lastSeq);
    await socket.close();
  });

  test("refuses bad usage with exit 2 and one line", async () => {
    const { config, server } = await listen({ databaseUrl: null });
    await server.stop();
    expect((await copyCommand(["--data-dir", config.dataDir])).stderr).toStartWith("parley: copy-to-postgres: needs the PostgreSQL database to copy into");
    const missing = await copyCommand([postgresDatabaseFor(`${config.dataDir}#missing`), "--data-dir", join(config.dataDir, "nothing-here")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^parley: copy-to-postgres: no database at .*parley\.db\n$/);
    const target = postgresDatabaseFor(`${config.dataDir}#configured`);
    const fromPostgres = await copyCommand([target, "--data-dir", config.dataDir], { PARLEY_DATABASE_URL: target });
    expect(fromPostgres.code).toBe(2);
    expect(fromPostgres.stderr).toBe("parley: copy-to-postgres: copies from the SQLite database in the data dir: unset PARLEY_DATABASE_URL for this command\n");
  });
});
