// Opens a message in place: its conversation, older pages loaded until the message is there, then highlighted and
// focused. (A stand-in for jump.ts's jumpToMessage, which loads the message's surroundings directly.)
import type { ChatClient } from "./client";
import type { ChatStore } from "./store";

export interface OpenMessageDeps {
  readonly store: ChatStore;
  readonly client: ChatClient;
  /** Opens the conversation now (its pane exists when this returns). */
  open(conversationId: number): void;
}

const MAX_PAGES = 200;

const nextChange = (store: ChatStore) =>
  new Promise<void>((resolve) => {
    const stop = store.subscribe(() => {
      stop();
      resolve();
    });
  });

export async function openMessage(deps: OpenMessageDeps, conversationId: number, messageId: number): Promise<boolean> {
  const { store, client } = deps;
  deps.open(conversationId);
  const has = () => store.history(conversationId).messages.some((m) => m.id === messageId);
  if (!store.history(conversationId).loaded) await client.loadNewest(conversationId);
  for (let pages = 0; !has() && store.history(conversationId).hasOlder && pages < MAX_PAGES && store.openId === conversationId; pages++) {
    if (store.history(conversationId).loadingOlder) await nextChange(store);
    else await client.loadOlder(conversationId);
  }
  const node = document.querySelector<HTMLElement>(`.log [data-id="${messageId}"]`);
  if (!node) return false;
  for (const old of Array.from(document.querySelectorAll(".message.found"))) old.classList.remove("found");
  node.classList.add("found");
  node.tabIndex = -1;
  node.scrollIntoView({ block: "center" });
  node.focus();
  return true;
}
