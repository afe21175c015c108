// Draws the installable app's PNG icons (src/web/icon-*.png) from favicon.svg's shapes: a white speech bubble on the
// accent color. Run once after changing the design: `bun src/web/make-icons.ts`; the PNGs are committed.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const ACCENT = [0x24, 0x57, 0xc5];
const SAMPLES = 4; // per axis, for smooth edges

/** Inside a rounded rectangle (favicon units: a 32×32 square). */
const inRoundedRect = (x: number, y: number, left: number, top: number, right: number, bottom: number, r: number) => {
  if (x < left || x > right || y < top || y > bottom) return false;
  const dx = Math.max(left + r - x, 0, x - (right - r));
  const dy = Math.max(top + r - y, 0, y - (bottom - r));
  return dx * dx + dy * dy <= r * r;
};
/** The bubble of favicon.svg: a rounded box from (6,9) to (26,22) and its tail down to (10,26). */
const inBubble = (x: number, y: number) => inRoundedRect(x, y, 6, 9, 26, 22, 2) || (y >= 21 && y <= 26 && x >= 10 && x <= 15 - ((y - 22) * 5) / 4 && y <= 26);

/** RGBA pixels: `background` says where the accent is (the rest transparent); the bubble is scaled about the center. */
function draw(size: number, background: (x: number, y: number) => boolean, bubbleScale: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      let back = 0;
      let bubble = 0;
      for (let sy = 0; sy < SAMPLES; sy++)
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = ((px + (sx + 0.5) / SAMPLES) / size) * 32;
          const y = ((py + (sy + 0.5) / SAMPLES) / size) * 32;
          if (!background(x, y)) continue;
          back++;
          if (inBubble(16 + (x - 16) / bubbleScale, 17.5 + (y - 16) / bubbleScale)) bubble++;
        }
      const n = SAMPLES * SAMPLES;
      const white = back ? bubble / back : 0;
      const at = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) pixels[at + c] = Math.round(ACCENT[c]! * (1 - white) + 255 * white);
      pixels[at + 3] = Math.round((back / n) * 255);
    }
  return pixels;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function png(size: number, pixels: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rows.set(pixels.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(rows, { level: 9 })), chunk("IEND", new Uint8Array())]);
}

const roundedSquare = (x: number, y: number) => inRoundedRect(x, y, 0, 0, 32, 32, 7);
const fullSquare = () => true;
const out = new URL("./", import.meta.url);
writeFileSync(new URL("icon-192.png", out), png(192, draw(192, roundedSquare, 1)));
writeFileSync(new URL("icon-512.png", out), png(512, draw(512, roundedSquare, 1)));
// Maskable: the accent to every edge, the bubble within the middle 80% the platform's mask keeps.
writeFileSync(new URL("icon-maskable-512.png", out), png(512, draw(512, fullSquare, 0.72)));
