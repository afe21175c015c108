// The published client: `npm run build:client` makes dist/client/ (ESM + .d.ts), and Node.js (20+) imports it by its
// package path, parley/client, and talks to a real server with it, REST and /ws.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { directWith } from "../chat-helpers";
import { listen, queryRows, registerUser } from "../helpers";
import { ROOT } from "../process-helpers";

describe("parley/client as a package", async () => {
  const { server, api } = await listen();
  const [alice, bob] = [await registerUser(api, "alice"), await registerUser(api, "bob")];
  const conversation = await directWith(api, alice, bob);

  beforeAll(() => {
    const build = Bun.spawnSync(["npm", "run", "--silent", "build:client"], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` },
      stderr: "pipe",
    });
    if (build.exitCode !== 0) throw new Error(`build:client failed: ${build.stderr.toString()}`);
  }, 60_000);

  test("the build has the ESM file and its type declarations, as package.json exports them", async () => {
    const exports = (await Bun.file(join(ROOT, "package.json")).json()).exports["./client"];
    expect(existsSync(join(ROOT, exports.import))).toBe(true);
    expect(await Bun.file(join(ROOT, exports.types)).text()).toContain("export declare class ParleyClient");
  });

  test("node imports parley/client, logs in, makes calls and sends over /ws", async () => {
    // Asynchronously: this process serves the API the child calls.
    const node = Bun.spawn(["node", join(import.meta.dir, "node-smoke.mjs"), server.url, alice.email, alice.password, String(conversation)], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr] = [await new Response(node.stdout).text(), await new Response(node.stderr).text()];
    expect(stderr).toBe("");
    expect(await node.exited).toBe(0);
    const answer = JSON.parse(stdout);
    expect(answer).toMatchObject({
      user: { id: alice.id, email: alice.email, username: alice.username },
      conversations: [conversation],
      refused: [404, "not_found"],
    });
    const [id, clientId] = answer.sent;
    expect(await queryRows(server.parley, "SELECT id, body, sender_id FROM messages WHERE client_id = ?", [clientId])).toEqual([
      { id, body: "from node", sender_id: alice.id },
    ]);
  });
});
