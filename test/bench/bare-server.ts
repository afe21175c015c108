// The ceiling: a bare Bun server, no auth and no storage. WebSockets join ?room=<name> and every text frame
// is published to the whole room (Bun pub/sub); GET /static answers a fixed body of ?bytes= length.
const bodies = new Map<number, string>();
const server = Bun.serve<{ room: string }>({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request, server) {
    const url = new URL(request.url);
    if (url.pathname === "/static") {
      const bytes = Number(url.searchParams.get("bytes") ?? 100);
      if (!bodies.has(bytes)) bodies.set(bytes, JSON.stringify({ padding: "x".repeat(Math.max(0, bytes - 14)) }));
      return new Response(bodies.get(bytes), { headers: { "content-type": "application/json" } });
    }
    if (server.upgrade(request, { data: { room: url.searchParams.get("room") ?? "main" } })) return;
    return new Response("not found", { status: 404 });
  },
  websocket: {
    perMessageDeflate: false,
    open(ws) {
      ws.subscribe(ws.data.room);
    },
    message(ws, message) {
      server.publish(ws.data.room, message);
    },
  },
});
console.log(`URL http://127.0.0.1:${server.port}`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
