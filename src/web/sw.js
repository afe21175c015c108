// Parley's service worker (served at /sw.js, plain JavaScript: the compiled binary serves it as written). It shows a
// Web Push as a notification, one per conversation (a newer one replaces it), and opens the conversation on click.
// The push holds only {conversation_id, message_id, sender, excerpt} (README "Web Push").

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let push = {};
  try {
    push = event.data ? event.data.json() : {};
  } catch {}
  const conversation = Number.isSafeInteger(push.conversation_id) ? push.conversation_id : null;
  const title = typeof push.sender === "string" && push.sender ? push.sender : "Parley";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof push.excerpt === "string" ? push.excerpt : "New message",
      tag: conversation === null ? "parley" : `conversation-${conversation}`,
      renotify: true,
      icon: "/icon-192.png",
      data: { url: conversation === null ? "/" : `/#/c/${conversation}` },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? "/", self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (!open) return self.clients.openWindow(url.href);
      // The page moves to the conversation itself (src/web/push.ts): a hash change, no reload.
      open.postMessage({ type: "open", hash: url.hash });
      return open.focus();
    }),
  );
});
