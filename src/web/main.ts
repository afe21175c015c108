// Entry point: the login screen or the chat, following the session (which other tabs share) and the URL hash.
import { Api } from "./api";
import { renderAuth } from "./auth-view";
import { Chat } from "./chat";

const root = document.getElementById("app")!;
const api = new Api();
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

api.onSessionEnded((reason) => {
  notice = reason;
  if (location.hash.startsWith("#/c/")) history.replaceState(null, "", "#/login");
  show();
});
api.onSessionChanged(() => {
  chat?.destroy();
  chat = null;
  show();
});
addEventListener("hashchange", show);
show();
