// The ceiling: a bare Bun server, no auth and no storage. WebSockets join ?room=<name> and every text frame
// is published to the whole room (Bun pub/sub); GET /static answers a fixed body of ?bytes= length.
const bodies = new Map<number, string>();
const bodyOf = (bytes: number) => {
  if (!bodies.has(bytes)) bodies.set(bytes, JSON.stringify({ padding: "x".repeat(Math.max(0, bytes - 14)) }));
  return bodies.get(bytes)!;
};
const server = Bun.serve<{ room: string }>({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request, server) {
    const url = new URL(request.url);
    if (url.pathname === "/created" && request.method === "POST") {
      // A 201 with a body the size of a stored message, after reading the request: the client's ceiling for sends.
      return request
        .text()
        .then(() => new Response(bodyOf(Number(url.searchParams.get("bytes") ?? 300)), { status: 201, headers: { "content-type": "application/json" } }));
    }
    if (url.pathname === "/static") {
      return new Response(bodyOf(Number(url.searchParams.get("bytes") ?? 100)), { headers: { "content-type": "application/json" } });
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
