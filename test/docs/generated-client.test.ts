// The OpenAPI document as client developers use it: openapi-typescript (run by Node.js, as they would) turns
// /swagger/json into types, and a small program written against those types must type-check, with the wrong uses refused.
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeApp, tempDir } from "../helpers";

const root = resolve(import.meta.dir, "../..");
const { api } = await makeApp();

/** The program a client developer writes; each @ts-expect-error line is a mistake the types must catch. */
const program = `import type { components, paths } from "./parley";

type Message = components["schemas"]["Message"];
type Sent = paths["/api/messages/{conversation_id}/send/"]["post"]["responses"][201]["content"]["application/json"];
type SendBody = NonNullable<paths["/api/messages/{conversation_id}/send/"]["post"]["requestBody"]>["content"]["application/json"];
type RateLimited = paths["/api/messages/{conversation_id}/send/"]["post"]["responses"][429];
type Invalid = paths["/api/messages/{conversation_id}/send/"]["post"]["responses"][400]["content"]["application/json"];
type Deleted = paths["/api/messages/{conversation_id}/{message_id}/"]["delete"]["responses"][204];
type Chunk = paths["/api/files/{file_id}/download/"]["get"]["responses"][206];

export function show(sent: Sent): string {
  const message: Message = sent;
  const id: number = message.id;
  const conversation: number = message.conversation_id;
  const when: string = message.timestamp;
  const edited: string | null = message.edited_at;
  const replyTo: number | null = message.reply_to;
  const mentions: number[] = message.mentions;
  const emoji: string[] = message.reactions.map((r) => r.emoji);
  const size: number | undefined = message.attachment?.size;
  // @ts-expect-error ids are numbers, not text
  const wrong: string = message.id;
  // @ts-expect-error a message's fields are what the document says
  message.no_such_field;
  return [id, conversation, when, edited, replyTo, mentions, emoji, size, wrong].join(" ");
}

export const body: SendBody = { message: "hi", client_id: "c-1", reply_to: 3 };
// @ts-expect-error client_id is text
export const badBody: SendBody = { client_id: 5 };

export function retryAfter(response: RateLimited): number {
  return response.headers["Retry-After"];
}

export function explain(error: Invalid): string {
  if ("code" in error && typeof error.code === "string") {
    const code: components["schemas"]["Error"]["code"] = error.code;
    // @ts-expect-error codes are the stable ones only
    const unknown: components["schemas"]["Error"]["code"] = "no_such_code";
    return code + unknown;
  }
  return Object.entries(error).map(([field, messages]) => \`\${field}: \${(messages as string[]).join(", ")}\`).join("; ");
}

// A 204 has no body.
export const nothing: Deleted["content"] = undefined as Deleted["content"];
export const range: string = ({} as Chunk).headers["Content-Range"];
`;

test("openapi-typescript makes types from /swagger/json, and a client program type-checks against them", async () => {
  const dir = tempDir("parley-client-");
  const document = await api("GET", "/swagger/json");
  expect(document.status).toBe(200);
  writeFileSync(join(dir, "openapi.json"), JSON.stringify(document.body));

  const generate = Bun.spawnSync(
    ["node", join(root, "node_modules/openapi-typescript/bin/cli.js"), join(dir, "openapi.json"), "-o", join(dir, "parley.d.ts")],
    { stderr: "pipe", stdout: "pipe" },
  );
  expect(generate.exitCode, generate.stderr.toString()).toBe(0);
  const types = await Bun.file(join(dir, "parley.d.ts")).text();
  expect(types).toContain("Message: {");
  expect(types).toContain('"Idempotent-Replay"?: "true"');

  writeFileSync(join(dir, "client.ts"), program);
  const options = ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler", "--noUnusedLocals", "false"];
  const check = Bun.spawnSync(["node", join(root, "node_modules/typescript/bin/tsc"), ...options, join(dir, "client.ts")], {
    stderr: "pipe",
    stdout: "pipe",
    cwd: dir,
  });
  expect(check.stdout.toString() + check.stderr.toString()).toBe("");
  expect(check.exitCode).toBe(0);
}, 60_000);
