// Entry point: the login screen or the chat, following the session (which other tabs share) and the URL hash.
import { localStorageStore, ParleyClient } from "../client";
import { renderAuth } from "./auth-view";
import { Chat } from "./chat";
import { ENDED } from "./words";

const root = document.getElementById("app")!;
const api = new ParleyClient({ store: localStorageStore() });
let chat: Chat | null = null;
let notice: string | null = null;

function show() {
  if (api.session) {
    if (!chat) {
      chat = new Chat(api, root);
      chat.mount();
    }
    chat.route();
    return;
  }
  chat?.destroy();
  chat = null;
  renderAuth(root, api, notice, () => {
    notice = null;
    show();
  });
}

api.onSessionEnd((reason) => {
  notice = ENDED[reason];
  if (location.hash.startsWith("#/c/")) history.replaceState(null, "", "#/login");
  show();
});
api.onSessionChange(() => {
  chat?.destroy();
  chat = null;
  show();
});
// Timers are throttled in background tabs: check the token again when the page comes back.
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && void api.ensureFresh());
addEventListener("hashchange", show);
show();
