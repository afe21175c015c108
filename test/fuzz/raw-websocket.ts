// A WebSocket spoken by hand over TCP: frames written byte by byte (fragmented, with reserved bits, not UTF-8) and the
// server's frames read back, for what a WebSocket library will not send.
import { connect as tcpConnect, type Socket as TcpSocket } from "node:net";
import { rawUpgradeRequest } from "../ws-helpers";

/** One WebSocket frame from a client (masked, as RFC 6455 requires), with the FIN and RSV bits given. */
export function wsFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv = 0): Uint8Array {
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const length = payload.length;
  const header =
    length < 126
      ? [length | 0x80]
      : length < 65536
        ? [126 | 0x80, length >> 8, length & 0xff]
        : [127 | 0x80, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  const out = new Uint8Array(1 + header.length + 4 + length);
  out[0] = (fin ? 0x80 : 0) | rsv | opcode;
  out.set(header, 1);
  out.set(mask, 1 + header.length);
  for (let i = 0; i < length; i++) out[1 + header.length + 4 + i] = payload[i]! ^ mask[i % 4]!;
  return out;
}

export interface ServerFrame {
  opcode: number;
  text: string;
  code?: number;
}

/** A TCP socket that upgrades by hand and reads the server's (unmasked) frames. */
export class RawSocket {
  private buffer = Buffer.alloc(0);
  readonly frames: ServerFrame[] = [];
  private wake: (() => void) | null = null;
  ended = false;
  private constructor(private readonly socket: TcpSocket) {}

  static async open(port: number, path: string): Promise<RawSocket> {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const raw = new RawSocket(socket);
    let upgraded = false;
    await new Promise<void>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("close", () => {
        raw.ended = true;
        raw.wake?.();
      });
      socket.on("data", (chunk) => {
        raw.buffer = Buffer.concat([raw.buffer, chunk as Buffer]);
        if (!upgraded) {
          const end = raw.buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          if (!raw.buffer.subarray(0, end).toString("latin1").startsWith("HTTP/1.1 101")) return reject(new Error(raw.buffer.toString("latin1")));
          raw.buffer = raw.buffer.subarray(end + 4);
          upgraded = true;
          resolve();
        }
        raw.parse();
      });
      socket.write(rawUpgradeRequest(path));
    });
    return raw;
  }

  private parse() {
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0]! & 0x0f;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const payload = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      this.frames.push(
        opcode === 0x8
          ? { opcode, code: payload.length >= 2 ? payload.readUInt16BE(0) : undefined, text: payload.subarray(2).toString("utf8") }
          : { opcode, text: payload.toString("utf8") },
      );
      this.wake?.();
    }
  }

  write(bytes: Uint8Array) {
    if (!this.ended) this.socket.write(bytes);
  }

  /** The frames so far once `done` says so, or the socket ended, or the time is up. */
  async until(done: (frames: ServerFrame[]) => boolean, timeoutMs: number): Promise<ServerFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.frames) && !this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
    }
    return this.frames;
  }

  destroy() {
    this.socket.destroy();
  }
}
