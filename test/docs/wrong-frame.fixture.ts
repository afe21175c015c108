// Run by asyncapi.test.ts as its own `bun test`: a server sends FRAME (JSON) on /ws, then closes with CLOSE_CODE; the
// test socket from ws-helpers receives both. It must fail exactly when the frame or the code is one the document does not describe.
import { expect, test } from "bun:test";
import { openSocket } from "../ws-helpers";

test("a test socket receives one frame and a close", async () => {
  const server = Bun.serve({
    port: 0,
    fetch: (request, bun) => (bun.upgrade(request) ? undefined : new Response("upgrade", { status: 426 })),
    websocket: {
      open(ws) {
        ws.send(process.env.FRAME!);
        ws.close(Number(process.env.CLOSE_CODE), "bye");
      },
      message() {},
    },
  });
  try {
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/ws`);
    expect((await socket.closed).code).toBe(Number(process.env.CLOSE_CODE));
    expect(socket.frames).toEqual([JSON.parse(process.env.FRAME!)]);
  } finally {
    server.stop(true);
  }
});
