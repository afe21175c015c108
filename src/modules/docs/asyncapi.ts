// The AsyncAPI 3.0 document of the WebSocket endpoints, generated from the schemas in realtime/model.ts (which the
// gateway checks operations against) and the modules' model.ts: the frames cannot drift from the code.
import type { TSchema } from "elysia";
import { version } from "../../../package.json";
import { conversationUpdatedEvent, memberJoinedEvent, memberLeftEvent, memberUpdatedEvent, ReadState, readEvent } from "../conversations/model";
import { Message, messageDeletedEvent, messagesExpiredEvent, messageUpdatedEvent, pinEvent, reactionEvent } from "../messages/model";
import * as frames from "../realtime/model";
import { SLOW_CONSUMER_BYTES } from "../realtime/hub";
import { MAX_REPLAY } from "../realtime/service";
import { WS_TICKET_TTL_MS } from "../auth/ws-tickets";

type Json = Record<string, unknown>;

/** The close codes a client sees, and what it should do on each. */
export const CLOSE_CODES = [
  { code: 1000, when: "The client closed the socket.", then: "Nothing." },
  {
    code: 1001,
    when: "The server is shutting down (a restart, a deploy).",
    then: "Reconnect with backoff, with `since` set to the last seq received: nothing is lost.",
  },
  {
    code: 1002,
    when: "The client broke the WebSocket protocol (RFC 6455): a reserved bit or opcode, a continuation with nothing to continue, a new message inside a fragmented one.",
    then: "Fix the client (or its WebSocket library); reconnect with `since`.",
  },
  {
    code: 1006,
    when: "No close frame: the network dropped, or the socket did not answer the server's pings within PARLEY_WS_IDLE_TIMEOUT.",
    then: "Reconnect with exponential backoff and jitter, with `since`.",
  },
  { code: 1007, when: "A text frame that is not valid UTF-8.", then: "Send text as UTF-8 (or JSON with \\u escapes); reconnect with `since`." },
  {
    code: 1008,
    when: "Policy: `Logged out`, `Logged out everywhere`, `Session revoked`, `Password changed`, `Account deactivated`, `Account deleted`; `Rate limit exceeded` (too many frames: a burst of 100, then 20 a second); on /ws/chat/{id}/, `No longer a member`.",
    then: "Read the reason. Session ended: refresh the access token (or log in again) before reconnecting; do not retry with the same credential. Rate limit: reconnect after a pause with `since`, and send less. No longer a member: do not reconnect to that conversation.",
  },
  { code: 1009, when: "A frame over 64 KiB was sent.", then: "Do not send it again (long texts are at most 10,000 characters); reconnect with `since`." },
  { code: 1011, when: "The server failed to set up the connection (e.g. the database did not answer).", then: "Reconnect with backoff, with `since`." },
  {
    code: 1013,
    when: `The client read too slowly: more than ${SLOW_CONSUMER_BYTES / 1024 / 1024} MiB of frames waited unsent.`,
    then: "Reconnect with `since` (a backlog the log cannot replay answers `resync`), and read frames faster.",
  },
] as const;

/** JSON Schema draft-07's keywords (AsyncAPI's schema format is a superset): others, e.g. Elysia's `error`, are dropped. */
const KEYWORDS = new Set([
  "title",
  "description",
  "default",
  "examples",
  "multipleOf",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "items",
  "maxItems",
  "minItems",
  "uniqueItems",
  "maxProperties",
  "minProperties",
  "required",
  "additionalProperties",
  "properties",
  "const",
  "enum",
  "type",
  "format",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "readOnly",
  "writeOnly",
  "deprecated",
]);

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

const isNumericString = (schema: unknown) => isObject(schema) && schema.type === "string" && (schema.format === "integer" || schema.format === "numeric");

/** A TypeBox schema as plain draft-07 JSON, with the named schemas' occurrences as `$ref`s to components. */
function toSchema(schema: unknown, named: Map<string, string>, top = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toSchema(s, named));
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!KEYWORDS.has(key)) continue;
    out[key] =
      key === "properties" && isObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toSchema(v, named)])) : toSchema(value, named);
  }
  // Elysia's t.Integer/t.Numeric also accept numeric strings (for query coercion); the server sends numbers only.
  if (Array.isArray(out.anyOf) && out.anyOf.some(isNumericString)) {
    const rest = out.anyOf.filter((s) => !isNumericString(s)) as Json[];
    delete out.anyOf;
    if (rest.length === 1) Object.assign(out, { ...rest[0], ...out });
    else out.anyOf = rest;
  }
  const name = top ? undefined : named.get(JSON.stringify(out));
  return name ? { $ref: `#/components/schemas/${name}` } : out;
}

/** The whole document (docs/index.ts builds it on first request and keeps it). */
export function asyncApiDocument(): Json {
  const named = new Map<string, string>();
  const schemas: Json = {};
  const name = (schemaName: string, schema: TSchema) => {
    const json = toSchema(schema, named, true);
    schemas[schemaName] = json;
    named.set(JSON.stringify(json), schemaName);
  };
  // The REST document's named schemas first (so the others refer to them), then what the events carry.
  name("Message", Message);
  name("ReadState", ReadState);
  name("MessageUpdate", messageUpdatedEvent);
  name("MessageDeletion", messageDeletedEvent);
  name("MessagesExpiry", messagesExpiredEvent);
  name("PinChange", pinEvent);
  name("ReactionChange", reactionEvent);
  name("MemberJoin", memberJoinedEvent);
  name("MemberLeave", memberLeftEvent);
  name("MemberUpdate", memberUpdatedEvent);
  name("ConversationUpdate", conversationUpdatedEvent);
  name("ReadReceipt", readEvent);
  name("ErrorCode", frames.socketErrorCode);

  const messages: Json = {};
  const message = (id: string, title: string, summary: string, schema: TSchema) => {
    messages[id] = { name: id, title, summary, contentType: "application/json", payload: toSchema(schema, named, true) };
    return { $ref: `#/components/messages/${id}` };
  };

  const serverFrames: Json = {
    hello: message(
      "hello",
      "hello",
      "First frame on /ws: who you are, the conversations you hear, and the seq everything after comes live.",
      frames.helloFrame,
    ),
    resync: message(
      "resync",
      "resync",
      `Replay impossible (more than ${MAX_REPLAY} events, or the log was trimmed): refetch over REST, then resume after data.seq.`,
      frames.resyncFrame,
    ),
    pong: message("pong", "pong", "The answer to ping.", frames.pongFrame),
    sendAck: message("sendAck", "ack (message.send)", "The stored message, answering message.send.", frames.sendAckFrame),
    readAck: message("readAck", "ack (read)", "The read state, answering read with a ref.", frames.readAckFrame),
    error: message(
      "error",
      "error",
      "An operation failed (the socket stays open, except on rate_limited: closed with 1008 next). `database_unavailable`: the database is away for a moment; retry after `retry_after` seconds (a send with the same `client_id` is stored once).",
      frames.errorFrame,
    ),
    presence: message("presence", "presence", "A contact came online or went offline.", frames.presenceFrame),
    typing: message("typing", "typing", "Another member is typing (not logged: never replayed).", frames.typingFrame),
  };
  for (const [type, data] of Object.entries(frames.eventData)) {
    serverFrames[type] = message(
      type,
      type,
      `A logged event: delivered live, and replayed to a client resuming with since.`,
      frames.eventFrame(type as keyof typeof frames.eventData, data),
    );
  }
  const clientFrames: Json = {};
  // Keyed apart from the server's frames: `read` and `typing` name both an operation and what the others receive.
  for (const [type, schema] of Object.entries(frames.clientOperations))
    clientFrames[`op.${type}`] = message(`op.${type}`, type, schema.description ?? type, schema);
  const legacyFrames = {
    send: message("legacySend", "send", "Stores a message in the path's conversation.", frames.legacySend),
    message: message("legacyMessage", "message", "A message stored in the conversation (from any client).", frames.legacyMessageFrame),
    error: message("legacyError", "error", "The send failed.", frames.legacyErrorFrame),
  };

  const query = (withSince: boolean) => ({
    type: "object",
    properties: {
      ticket: {
        type: "string",
        description: `Preferred: a single-use ticket from POST /api/ws-ticket/, valid ${WS_TICKET_TTL_MS / 1000} s (keeps the access token out of URLs and proxy logs).`,
      },
      token: {
        type: "string",
        description:
          "Accepted for older clients: the access token itself (reverse proxies may log it). An `Authorization: Bearer` header works too, where the client can set one.",
      },
      ...(withSince
        ? {
            since: {
              type: "string",
              pattern: "^\\d{1,15}$",
              description: "Resume: replay the events after this seq (the last one received) before the live ones; without it, nothing is replayed.",
            },
          }
        : {}),
    },
  });
  const closeTable = CLOSE_CODES.map((c) => `| ${c.code} | ${c.when} | ${c.then} |`).join("\n");
  const closeCodes = CLOSE_CODES.map(({ code, when, then }) => ({ code, when, then }));

  const channels = {
    events: {
      address: "/ws",
      title: "Events and operations",
      description:
        "Every conversation the user is in, and their own private events. Frames are JSON objects with a `type`. Events carry `conversation_id` and `seq`; keep the last seq and reconnect with `?since=` to get what you missed. Operations may carry a `ref`, echoed in their answer.",
      messages: { ...serverFrames, ...clientFrames },
      bindings: { ws: { method: "GET", query: query(true), bindingVersion: "0.1.0" } },
      "x-close-codes": closeCodes,
    },
    legacyChat: {
      address: "/ws/chat/{id}/",
      title: "The original's endpoint (legacy)",
      description:
        'One conversation, in the original Django app\'s format: `{"message"}` in, `{"message", "sender"}` out. Members only (403 on upgrade otherwise). New clients use /ws.',
      parameters: { id: { description: "A conversation id (a group's id is its conversation id)." } },
      messages: legacyFrames,
      bindings: { ws: { method: "GET", query: query(false), bindingVersion: "0.1.0" } },
      "x-close-codes": closeCodes,
    },
  };

  const operations: Json = {};
  const channelRef = (channel: string) => ({ $ref: `#/channels/${channel}` });
  const messageRef = (channel: string, id: string) => ({ $ref: `#/channels/${channel}/messages/${id}` });
  for (const id of Object.keys(serverFrames)) {
    operations[`send.${id}`] = { action: "send", channel: channelRef("events"), title: `Server sends ${id}`, messages: [messageRef("events", id)] };
  }
  const replies: Record<string, string[]> = {
    ping: ["pong", "error"],
    "message.send": ["sendAck", "error"],
    typing: ["error"],
    read: ["readAck", "error"],
    sync: ["resync", "error"],
  };
  for (const type of Object.keys(frames.clientOperations)) {
    operations[`receive.${type}`] = {
      action: "receive",
      channel: channelRef("events"),
      title: `Client sends ${type}`,
      messages: [messageRef("events", `op.${type}`)],
      reply: { channel: channelRef("events"), messages: (replies[type] ?? ["error"]).map((id) => messageRef("events", id)) },
    };
  }
  operations["legacy.receive.send"] = {
    action: "receive",
    channel: channelRef("legacyChat"),
    messages: [messageRef("legacyChat", "send")],
    reply: { channel: channelRef("legacyChat"), messages: [messageRef("legacyChat", "error")] },
  };
  operations["legacy.send.message"] = { action: "send", channel: channelRef("legacyChat"), messages: [messageRef("legacyChat", "message")] };
  operations["legacy.send.error"] = { action: "send", channel: channelRef("legacyChat"), messages: [messageRef("legacyChat", "error")] };

  const security = [
    { $ref: "#/components/securitySchemes/ticket" },
    { $ref: "#/components/securitySchemes/token" },
    { $ref: "#/components/securitySchemes/bearer" },
  ];
  const server = (protocol: string, description: string) => ({
    host: "{host}",
    protocol,
    description,
    variables: { host: { default: "localhost:3000", description: "Where Parley listens (host and port)." } },
    security,
  });
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Parley WebSocket API",
      version,
      description: [
        "The sockets of Parley, a real-time chat server. The REST API is described at [/swagger](/swagger) ([OpenAPI JSON](/swagger/json)); its schemas `Message` and `ReadState` are the same here.",
        "",
        "Connect to `/ws` with `?ticket=` (from POST /api/ws-ticket/) or `?token=`; a refused upgrade answers HTTP 401 (credential), 400 (bad `since`), 403/404 (/ws/chat/{id}/: not a member, no such conversation). The first frame is `hello`; with `?since=` the missed events follow it (or `resync`), then live ones.",
        "",
        "Close codes, and what a client should do:",
        "",
        "| code | when | what to do |",
        "| --- | --- | --- |",
        closeTable,
      ].join("\n"),
    },
    defaultContentType: "application/json",
    servers: {
      parley: server("ws", "Plain WebSocket (a local or development server)."),
      "parley-tls": server("wss", "WebSocket over TLS (behind a TLS-terminating proxy)."),
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        ticket: { type: "httpApiKey", name: "ticket", in: "query", description: "A single-use ticket from POST /api/ws-ticket/ (preferred)." },
        token: { type: "httpApiKey", name: "token", in: "query", description: "The access token (older clients; URLs end up in proxy logs)." },
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "The access token in an Authorization header, where the client can set one.",
        },
      },
    },
  };
}
