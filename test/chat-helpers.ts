// Helpers shared by the chat and file tests: groups, sends, multipart bodies, and looks at the database and the uploads dir.
import { expect } from "bun:test";
import { join } from "node:path";
import { readdirSync } from "node:fs";
import type { Parley } from "../src/app";
import { registerUser, type Api, type ApiResponse, type TestUser } from "./helpers";

export const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** The exact keys of a message as the API answers it. */
export const MESSAGE_KEYS = [
  "attachment",
  "client_id",
  "conversation_id",
  "deleted",
  "edited_at",
  "file",
  "id",
  "mentions",
  "message",
  "pinned",
  "reactions",
  "receiver_group",
  "receiver_user",
  "reply_count",
  "reply_to",
  "sender",
  "sender_display_name",
  "sender_is_bot",
  "sender_username",
  "timestamp",
  "via_webhook",
].sort();

/** Registers one user per name, in parallel; typed as a tuple of users. */
export async function registerUsers<const Names extends readonly string[]>(api: Api, names: Names): Promise<{ [K in keyof Names]: TestUser }> {
  return (await Promise.all(names.map((name) => registerUser(api, name)))) as { [K in keyof Names]: TestUser };
}

let nameCounter = 0;
/** A group name not used before in this process. */
export const uniqueName = (prefix = "group") => `${prefix}-${process.pid}-${++nameCounter}`;

/** Creates a group as `owner` (expects 201) and returns its body. */
export async function createGroup(
  api: Api,
  owner: TestUser,
  members: number[] = [],
  name = uniqueName(),
): Promise<{ id: number; name: string; members: number[] }> {
  const response = await api("POST", "/api/groups/create/", { token: owner.access, body: { name, members } });
  if (response.status !== 201) throw new Error(`create group ${name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Opens (or finds) the direct conversation between two users and returns its id. */
export async function directWith(api: Api, user: TestUser, other: TestUser): Promise<number> {
  const response = await api("POST", "/api/conversations/direct/", { token: user.access, body: { user_id: other.id } });
  if (response.status !== 200 && response.status !== 201) throw new Error(`direct: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** POST /api/messages/{cid}/send/ with a JSON body. */
export function send(api: Api, user: TestUser | undefined, conversationId: number | string, body: Record<string, unknown>): Promise<ApiResponse> {
  return api("POST", `/api/messages/${conversationId}/send/`, { token: user?.access, body });
}

/** Sends a text message and returns the stored message (expects 201). */
export async function sendText(api: Api, user: TestUser, conversationId: number, message: string): Promise<{ id: number; [key: string]: any }> {
  const response = await send(api, user, conversationId, { message });
  if (response.status !== 201) throw new Error(`send: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A multipart body: strings as fields, [blob, filename] as file parts. */
export function form(fields: Record<string, string | [Blob, string]>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "string") data.append(key, value);
    else data.append(key, value[0], value[1]);
  }
  return data;
}

/** Sends a multipart message with one file (expects nothing; returns the response). */
export function upload(
  api: Api,
  user: TestUser | undefined,
  conversationId: number | string,
  bytes: Uint8Array<ArrayBuffer> | string,
  filename: string,
  type = "application/octet-stream",
  fields: Record<string, string> = {},
) {
  return api("POST", `/api/messages/${conversationId}/send/`, {
    token: user?.access,
    body: form({ ...fields, file: [new Blob([bytes], { type }), filename] }),
  });
}

/** Written behind the API's back (no API makes staff), so the user's checked tokens are forgotten by hand. */
export const makeStaff = async (parley: Parley, userId: number) => {
  await parley.ctx.db.updateTable("users").set({ is_staff: 1 }).where("id", "=", userId).execute();
  parley.ctx.callers.forget(userId);
};

/** The names in the uploads directory. */
export const uploadedFiles = (parley: Parley) => readdirSync(uploadsDir(parley)).sort();

/** Where the local upload store keeps the bytes: <data dir>/uploads, under server-made names. */
export const uploadsDir = (parley: Parley) => join(parley.ctx.config.dataDir, "uploads");
export const uploadPath = (parley: Parley, storageName: string) => join(uploadsDir(parley), storageName);

/** Row counts of the tables the chat endpoints write (events: the log every committed change appends to). */
export async function counts(parley: Parley): Promise<{ messages: number; files: number; conversations: number; members: number; events: number }> {
  const count = async (table: "messages" | "files" | "conversations" | "conversation_members" | "events") =>
    Number(
      (
        await parley.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const [messages, files, conversations, members, events] = await Promise.all([
    count("messages"),
    count("files"),
    count("conversations"),
    count("conversation_members"),
    count("events"),
  ]);
  return { messages, files, conversations, members, events };
}

/** Random bytes (crypto quality is not needed, only incompressible, non-repeating content). */
export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65_536) crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65_536)));
  return bytes;
}

export const sha256Hex = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** A refusal that reveals nothing: the status, a JSON error body, and none of the given secrets anywhere in it. */
export function expectRefused(response: ApiResponse, status: number, secrets: string[] = [], label = "") {
  expect(response.status, label).toBe(status);
  expect(response.headers.get("content-type") ?? "", label).toContain("application/json");
  const text = JSON.stringify(response.body);
  expect(Array.isArray(response.body), label).toBe(false);
  for (const secret of secrets) expect(text, label).not.toContain(secret);
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await Bun.sleep(10);
  }
  return condition();
}

/** Returns once the millisecond clock has moved on, so the next row gets a later timestamp than the last one. */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await Bun.sleep(1);
}
