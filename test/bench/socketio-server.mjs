// The peer for fan-out: a socket.io server on Node.js doing what most people would pick instead.
// Every socket joins ?room=<name>; every "msg" it sends is emitted to the whole room (io.to(room).emit).
import { createServer } from "node:http";
import { Server } from "socket.io";

const httpServer = createServer();
const io = new Server(httpServer, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
io.on("connection", (socket) => {
  const room = socket.handshake.query.room ?? "main";
  socket.join(room);
  socket.on("msg", (data) => io.to(room).emit("msg", data));
});
httpServer.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => console.log(`URL http://127.0.0.1:${httpServer.address().port}`));
process.on("SIGTERM", () => {
  io.close();
  process.exit(0);
});
