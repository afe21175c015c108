// The installable page: its web app manifest, the icons the manifest lists, and the service worker at /sw.js.
import { describe, expect, test } from "bun:test";
import { listen } from "../helpers";

const { server } = await listen();
const get = (path: string) => fetch(server.url + path);
const html = await (await get("/")).text();
const manifestPath = /<link rel="manifest" href="([^"]+)"/.exec(html)?.[1];

/** A PNG's width and height, from its IHDR chunk. */
const pngSize = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  expect([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
  return [view.getUint32(16), view.getUint32(20)];
};

describe("installable", () => {
  test("the page links a web app manifest, served as application/manifest+json, cached by its hash", async () => {
    expect(manifestPath).toBeDefined();
    const answer = await get(new URL(manifestPath!, `${server.url}/`).pathname);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/manifest\+json/);
    expect(answer.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const manifest = await answer.json();
    expect(manifest).toMatchObject({ name: "Parley", short_name: "Parley", start_url: "/", display: "standalone" });
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/);
    expect(manifest.icons.map((icon: { sizes: string; purpose: string }) => `${icon.sizes} ${icon.purpose}`).sort()).toEqual([
      "192x192 any",
      "512x512 any",
      "512x512 maskable",
    ]);
  });

  test("every icon the manifest lists is a PNG of its stated size, served as image/png", async () => {
    const manifest = await (await get(new URL(manifestPath!, `${server.url}/`).pathname)).json();
    for (const icon of manifest.icons as Array<{ src: string; sizes: string; type: string }>) {
      const answer = await get(icon.src);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toBe("image/png");
      expect(icon.type).toBe("image/png");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      const bytes = new Uint8Array(await answer.arrayBuffer());
      expect(pngSize(bytes).join("x")).toBe(icon.sizes);
      expect(bytes.length).toBeLessThan(8 * 1024);
    }
  });

  test("/sw.js is JavaScript at a fixed URL, revalidated on every check, under a policy of its own", async () => {
    const answer = await get("/sw.js");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(answer.headers.get("cache-control")).toBe("no-cache");
    expect(answer.headers.get("content-security-policy")).toBe("default-src 'none'; img-src 'self'");
    const script = await answer.text();
    expect(script).toContain('addEventListener("push"');
    expect(script).toContain('addEventListener("notificationclick"');
    const etag = answer.headers.get("etag")!;
    expect((await fetch(`${server.url}/sw.js`, { headers: { "if-none-match": etag } })).status).toBe(304);
  });
});
