// The lean durable baseline for sends: what the work itself costs. On a Parley data dir (same schema, same PRAGMAs as
// PARLEY_DURABILITY=normal): a WebSocket frame or a REST send is parsed, its message row and event row are inserted in
// one transaction per batch (the frames queued while the previous commit ran), the ack or the 201 follows the commit,
// and the same message.created frame Parley sends is published to the conversation's topic. Tokens are checked as
// HS256 JWTs; no membership, limits or idempotency.
import { Database } from "bun:sqlite";
import { createHmac, timingSafeEqual } from "node:crypto";

const db = new Database(`${process.argv[2]}/parley.db`, { strict: true });
for (const pragma of ["journal_mode = WAL", "foreign_keys = ON", "busy_timeout = 5000", "secure_delete = ON", "synchronous = NORMAL"])
  db.run(`PRAGMA ${pragma}`);
const insertMessage = db.prepare("INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id");
const insertEvent = db.prepare(
  "INSERT INTO events (conversation_id, type, data, created_at, private, message_id) VALUES (?, 'message.created', ?, ?, 0, ?) RETURNING seq",
);
const usernameOf = db.prepare("SELECT username FROM users WHERE id = ?");
const groupsOf = db.prepare("SELECT conversation_id FROM conversation_members WHERE user_id = ?");
const secret = process.env.PARLEY_JWT_SECRET!;

/** The user id of a valid, unexpired HS256 access token; null otherwise. */
function verify(token: string): number | null {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature || JSON.parse(Buffer.from(header, "base64url").toString()).alg !== "HS256") return null;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  return claims.token_type === "access" && claims.exp * 1000 > Date.now() ? claims.user_id : null;
}

interface Send {
  userId: number;
  username: string;
  conversationId: number;
  text: string;
  done: (view: string) => void;
}
let queue: Send[] = [];
const commitBatch = db.transaction((batch: Send[]) =>
  batch.map(({ userId, username, conversationId, text }) => {
    const now = Date.now();
    const { id } = insertMessage.get(conversationId, userId, text, now) as { id: number };
    const view = JSON.stringify({
      id,
      conversation_id: conversationId,
      sender: userId,
      sender_username: username,
      receiver_user: null,
      receiver_group: conversationId,
      message: text,
      file: null,
      attachment: null,
      timestamp: new Date(now).toISOString(),
      client_id: null,
      deleted: false,
      edited_at: null,
      reply_to: null,
      reply_count: 0,
      reactions: [],
      mentions: [],
      pinned: false,
    });
    const { seq } = insertEvent.get(conversationId, view, now, id) as { seq: number };
    return { view, frame: `{"type":"message.created","conversation_id":${conversationId},"seq":${seq},"data":${view}}` };
  }),
);
function enqueue(send: Send) {
  queue.push(send);
  if (queue.length === 1) setImmediate(flush);
}
function flush() {
  const batch = queue;
  queue = [];
  const results = commitBatch(batch);
  batch.forEach((send, i) => {
    server.publish(`c:${send.conversationId}`, results[i]!.frame);
    send.done(results[i]!.view);
  });
}

const server = Bun.serve<{ userId: number; username: string }>({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request, server) {
    const url = new URL(request.url);
    const token = url.searchParams.get("token") ?? request.headers.get("authorization")?.slice(7) ?? "";
    const userId = verify(token);
    if (userId === null) return Response.json({ detail: "Token is invalid or expired" }, { status: 401 });
    const username = (usernameOf.get(userId) as { username: string }).username;
    const rest = /^\/api\/messages\/(\d+)\/send\/$/.exec(url.pathname);
    if (rest && request.method === "POST")
      return request.json().then(
        (body: { message: string }) =>
          new Promise<Response>((resolve) =>
            enqueue({
              userId,
              username,
              conversationId: Number(rest[1]),
              text: body.message,
              done: (view) => resolve(new Response(view, { status: 201, headers: { "content-type": "application/json" } })),
            }),
          ),
      );
    if (url.pathname === "/ws" && server.upgrade(request, { data: { userId, username } })) return;
    return new Response("not found", { status: 404 });
  },
  websocket: {
    perMessageDeflate: false,
    open(ws) {
      for (const { conversation_id } of groupsOf.all(ws.data.userId) as { conversation_id: number }[]) ws.subscribe(`c:${conversation_id}`);
    },
    message(ws, raw) {
      const op = JSON.parse(String(raw)) as { ref: number; conversation_id: number; message: string };
      enqueue({ ...ws.data, conversationId: op.conversation_id, text: op.message, done: (view) => ws.send(`{"type":"ack","data":${view},"ref":${op.ref}}`) });
    },
  },
});
console.log(`URL http://127.0.0.1:${server.port}`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
