// Jumping to a message (from a pin, a mention, a reply, a search result): its surroundings are loaded with the
// history's `around` cursor and joined to what is held, then the conversation opens scrolled to it, highlighted
// and focused. Other views call jumpToMessage(conversationId, messageId).
import type { ParleyClient } from "../client";
import type { ChatStore } from "./store";

const AROUND = 50;
const PAGE = 100;
/** Newer pages fetched at most to join the window to what is held (beyond that, a gap stays). */
const MAX_PAGES = 10;

let jumper: ((conversationId: number, messageId: number) => Promise<void>) | null = null;

/** The app sets how a jump is done (chat.ts); null when logged out. */
export function installJump(run: typeof jumper) {
  jumper = run;
}

/** Opens the conversation at the message: surroundings loaded, scrolled to, highlighted briefly and focused. */
export function jumpToMessage(conversationId: number, messageId: number): Promise<void> {
  return jumper ? jumper(conversationId, messageId) : Promise.resolve();
}

/** Puts the message and its surroundings in the store's history, joined up to the newest messages held. */
export async function loadAround(api: ParleyClient, store: ChatStore, conversationId: number, messageId: number) {
  const history = store.history(conversationId);
  if (history.loaded && history.messages.some((m) => m.id === messageId)) return;
  const held = history.loaded ? history.messages[0]?.id : undefined;
  const pages = [await api.messages(conversationId, { around: messageId, limit: AROUND })];
  let newest = pages[0]![0]?.id ?? messageId;
  for (let n = 0; n < MAX_PAGES && (held === undefined || newest < held); n++) {
    const page = await api.messages(conversationId, { after: newest, limit: PAGE });
    pages.push(page);
    if (page.length < PAGE) break;
    newest = page.at(-1)!.id;
  }
  history.loaded = true;
  history.hasOlder = true;
  for (const page of pages) for (const m of page) store.put(m);
}
