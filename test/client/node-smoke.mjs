// Run by package.test.ts with `node`: the built package, imported by its published name, logs in, calls the API and
// sends over /ws (Node.js 20 has no global WebSocket: `ws`'s is passed in).
import { ParleyClient, ParleyError } from "parley/client";
import { WebSocket } from "ws";

const [url, email, password, conversation] = process.argv.slice(2);
const client = new ParleyClient({ baseUrl: url });
const session = await client.login(email, password);
const conversations = await client.conversations();
const refused = await client.lookupUser("nobody-at-all").catch((error) => error);
const socket = client.socket({ WebSocket });
socket.start();
const sent = await socket.send(Number(conversation), "from node");
socket.stop();
console.log(
  JSON.stringify({
    user: session.user,
    conversations: conversations.map((c) => c.id),
    refused: refused instanceof ParleyError ? [refused.status, refused.code] : String(refused),
    sent: [sent.id, sent.client_id],
  }),
);
