// Fan-out: rooms of 10, 100 and 1,000 members; one member sends, every member's socket receives. Parley
// (authenticated /ws, every message committed before it is published) beside the bare Bun pub/sub
// server (the ceiling, and the client's own) and socket.io on Node.js (the peer), in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io, type Socket as IoSocket } from "socket.io-client";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import {
  SECRET,
  measured,
  pairedRounds,
  percentile,
  spawnBare,
  spawnParley,
  spawnServer,
  type ChildServer,
  type ScenarioOptions,
  type ScenarioResult,
} from "../lib";

export interface Member {
  send(text: string): void;
  /** Frames of any kind this member has received so far. */
  received(): number;
  /** Called with the raw delivery; `text` parses the sent text out of it (only used at low rates). */
  onDelivery(handler: (raw: string) => void): void;
  close(): void;
}

export interface Target {
  name: string;
  connect(index: number): Promise<Member>;
  text(raw: string): string;
}

export function plainSocket(url: string, isDelivery: (data: string) => boolean, frame: (text: string) => string): Promise<Member> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let handler: (raw: string) => void = () => {};
    let received = 0;
    ws.onmessage = (event) => {
      received++;
      const data = event.data as string;
      if (isDelivery(data)) handler(data);
    };
    ws.onerror = () => reject(new Error(`connect failed: ${url}`));
    ws.onopen = () => resolve({ send: (text) => ws.send(frame(text)), received: () => received, onDelivery: (h) => (handler = h), close: () => ws.close() });
  });
}

function ioSocket(url: string, room: string): Promise<Member> {
  return new Promise((resolve) => {
    const socket: IoSocket = io(url, { transports: ["websocket"], query: { room }, forceNew: true, reconnection: false });
    let handler: (raw: string) => void = () => {};
    let received = 0;
    socket.onAny(() => received++);
    socket.on("msg", (data: string) => handler(data));
    socket.on("connect", () =>
      resolve({ send: (text) => socket.emit("msg", text), received: () => received, onDelivery: (h) => (handler = h), close: () => socket.close() }),
    );
  });
}

export async function connectAll(target: Target, count: number): Promise<Member[]> {
  const members: Member[] = [];
  for (let i = 0; i < count; i += 100) members.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => target.connect(i + k)))));
  return members;
}

/**
 * Waits until the members have received nothing for `quietMs` (at most 20 s): what connecting set off (Parley's
 * presence frames to every online contact, ~500k for a room of 1,000) is over before a measurement starts.
 */
export async function settle(members: Member[], quietMs: number) {
  const total = () => members.reduce((sum, m) => sum + m.received(), 0);
  const deadline = performance.now() + 20_000;
  let last = total();
  let quietSince = performance.now();
  while (performance.now() - quietSince < quietMs && performance.now() < deadline) {
    await Bun.sleep(50);
    const now = total();
    if (now !== last) [last, quietSince] = [now, performance.now()];
  }
}

/** Sends as fast as the sender's own deliveries allow (at most `window` in flight); deliveries per second. */
export async function throughput(members: Member[], messages: number, padding: number, window = 256) {
  const expected = messages * members.length;
  let delivered = 0;
  let sent = 0;
  let senderSeen = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const sender = members[0]!;
  const pump = () => {
    while (sent < messages && sent - senderSeen < window) sender.send(`m${sent++} ${"x".repeat(padding)}`);
  };
  for (const member of members) {
    member.onDelivery(() => {
      if (member === sender) {
        senderSeen++;
        pump();
      }
      if (++delivered === expected) finish();
    });
  }
  const t0 = performance.now();
  pump();
  const timer = setTimeout(finish, 60_000);
  await done;
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  return { delivered, expected, deliveries_per_second: delivered / seconds };
}

/** Sends `rate` messages per second for `seconds`, each carrying its send time; end-to-end latency at every receiver. */
export async function latency(target: Target, members: Member[], rate: number, seconds: number) {
  const latencies: number[] = [];
  for (const member of members) member.onDelivery((raw) => latencies.push(performance.now() - Number(target.text(raw).slice(2))));
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    members[0]!.send(`t:${performance.now()}`);
  }
  const expected = total * members.length;
  const deadline = performance.now() + 10_000;
  while (latencies.length < expected && performance.now() < deadline) await Bun.sleep(20);
  latencies.sort((a, b) => a - b);
  return { p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), latency_samples: latencies.length, latency_expected: expected };
}

/**
 * Every server delivers frames of the same size: Parley wraps the text in its event envelope (the message's
 * JSON: ids, sender, timestamp, ...), so the baselines are sent that much more text. Otherwise the
 * comparison would mostly measure the client parsing bigger frames.
 */
export const FRAME_BYTES = 400;
export const PARLEY_ENVELOPE_BYTES = 290;

/** Members of one Parley group over /ws: they send into it and count its message.created frames. */
export function parleyRoom(server: ChildServer, tokenOf: string[], groupId: number): Target {
  return {
    name: "Parley",
    connect: (i) =>
      plainSocket(
        `${server.url.replace("http", "ws")}/ws?token=${tokenOf[i]}`,
        (data) => data.startsWith('{"type":"message.created"'),
        (text) => `{"type":"message.send","conversation_id":${groupId},"message":"${text}"}`,
      ),
    text: (raw) => JSON.parse(raw).data.message as string,
  };
}

export async function fanout({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const sizes = quick ? [100, 1000] : [10, 100, 1000];
  const maxMembers = Math.max(...sizes);
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-fanout-"));
  const rows: ScenarioResult["rows"] = {};
  const notes: string[] = [];
  try {
    const groupIds = await fillDataDir(dataDir, { users: maxMembers, groups: sizes.map((members) => ({ members })) });
    const tokens = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
    const tokenOf = await Promise.all(Array.from({ length: maxMembers }, async (_, i) => (await tokens.issue("access", i + 1, 0)).token));

    const servers: Array<{ start: () => Promise<ChildServer>; target: (server: ChildServer, size: number, roomIndex: number) => Target }> = [
      {
        start: spawnBare,
        target: (server, size) => ({
          name: "bare Bun pub/sub",
          connect: () =>
            plainSocket(
              `${server.url.replace("http", "ws")}/?room=r${size}`,
              () => true,
              (t) => t,
            ),
          text: (raw) => raw,
        }),
      },
      {
        start: () => spawnServer(["node", "test/bench/socketio-server.mjs"]),
        target: (server, size) => ({ name: "socket.io (Node.js)", connect: () => ioSocket(server.url, `r${size}`), text: (raw) => raw }),
      },
      { start: () => spawnParley(dataDir), target: (server, _size, roomIndex) => parleyRoom(server, tokenOf, groupIds[roomIndex]!) },
    ];

    for (const { start, target: makeTarget } of servers) {
      const server = await start();
      for (const [roomIndex, size] of sizes.entries()) {
        const target = makeTarget(server, size, roomIndex);
        const members = await connectAll(target, size);
        await settle(members, 300);
        // ~2M deliveries into the room of 1,000 (about a second for Bun's pub/sub): a shorter burst mostly measured noise.
        const deliveries = target.name.startsWith("socket.io") ? 400_000 : 2_000_000;
        const messages = Math.min(2000, Math.ceil((quick ? deliveries / 4 : deliveries) / size));
        const result = await measured(server, async () => ({
          ...(await throughput(members, messages, FRAME_BYTES - (target.name === "Parley" ? PARLEY_ENVELOPE_BYTES : 0))),
          ...(await latency(target, members, size >= 1000 ? 20 : 100, quick ? 1.5 : 3)),
        }));
        rows[`${target.name}, room of ${size}`] = {
          "deliveries/s": result.deliveries_per_second,
          "p50 ms": result.p50_ms,
          "p99 ms": result.p99_ms,
          "server CPU s": result.server_cpu_seconds,
          "peak RSS MiB": result.server_peak_rss_mib,
        };
        if (result.delivered !== result.expected) notes.push(`${target.name}, room of ${size}: ${result.delivered} of ${result.expected} deliveries arrived.`);
        for (const m of members) m.close();
        await Bun.sleep(200);
      }
      await server.stop();
    }
    // The kept target (≥ 0.8 of bare Bun in the room of 1,000): both rooms connected at once, measured in paired rounds.
    const [bareBun, , parleyServer] = servers;
    const bare = await bareBun!.start();
    const parley = await parleyServer!.start();
    try {
      const room = sizes.indexOf(maxMembers);
      const bareMembers = await connectAll(bareBun!.target(bare, maxMembers, room), maxMembers);
      const parleyMembers = await connectAll(parleyServer!.target(parley, maxMembers, room), maxMembers);
      await settle([...bareMembers, ...parleyMembers], 300);
      const messages = Math.ceil((quick ? 500_000 : 2_000_000) / maxMembers);
      const pairs = await pairedRounds(
        quick ? 2 : 3,
        () => throughput(parleyMembers, messages, FRAME_BYTES - PARLEY_ENVELOPE_BYTES),
        () => throughput(bareMembers, messages, FRAME_BYTES),
        (r) => r.deliveries_per_second,
      );
      rows[`Parley / bare Bun pub/sub, room of ${maxMembers} (median of paired rounds)`] = { "deliveries/s": pairs.ratio };
      notes.push(`Room of ${maxMembers}, both rooms connected at once and measured in turn (the order turned each round): Parley / bare Bun ${pairs.text}.`);
      for (const m of [...bareMembers, ...parleyMembers]) m.close();
    } finally {
      await bare.stop();
      await parley.stop();
    }
    for (const size of sizes) {
      const parley = rows[`Parley, room of ${size}`]!["deliveries/s"] as number;
      const bare = rows[`bare Bun pub/sub, room of ${size}`]!["deliveries/s"] as number;
      const sio = rows[`socket.io (Node.js), room of ${size}`]!["deliveries/s"] as number;
      notes.push(
        `Room of ${size}: Parley delivers ${((parley / bare) * 100).toFixed(0)}% of bare Bun (the client's ceiling) and ${(parley / sio).toFixed(1)}× socket.io.`,
      );
    }
    notes.push(
      `Every delivered frame is about ${FRAME_BYTES} bytes for all three servers (Parley's event envelope plus ~100 bytes of text; the baselines get the same length of text).`,
    );
    notes.push(`Latency at a fixed rate: 100 messages/s into rooms of 10 and 100, 20 messages/s into the room of 1,000.`);
    return { scenario: "fanout", rows, notes };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
