// Run by package.test.ts with `node`: the built package, imported by its published name, logs in and calls the API.
import { ParleyClient, ParleyError } from "parley/client";

const [url, email, password] = process.argv.slice(2);
const client = new ParleyClient({ baseUrl: url });
const session = await client.login(email, password);
const conversations = await client.conversations();
const refused = await client.lookupUser("nobody-at-all").catch((error) => error);
console.log(JSON.stringify({ user: session.user, conversations: conversations.map((c) => c.id), refused: refused instanceof ParleyError ? [refused.status, refused.code] : String(refused) }));
