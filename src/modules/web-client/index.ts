// The browser client (src/web/) served at "/" from Bun's own routes. `bun build --compile` bundles the HTML import
// and embeds its files (index.files); without a build step (bun src/index.ts, tests) Bun.build bundles it once
// in memory. Either way each file is served here, not as a bare HTMLBundle route, because Bun 1.4 cannot add
// headers to that route and the page needs its Content-Security-Policy and framing ban.
import { basename } from "node:path";
import index from "../../web/index.html";
import icon192 from "../../web/icon-192.png" with { type: "file" };
import icon512 from "../../web/icon-512.png" with { type: "file" };
import iconMaskable from "../../web/icon-maskable-512.png" with { type: "file" };
import serviceWorker from "../../web/sw.js" with { type: "file" };
import type { AppContext } from "../../context";
import { recordRequest, requestIdOf } from "../../lib/observability";
import { SECURITY_HEADERS } from "../../lib/web";

interface WebFile {
  /** The URL path the page refers to it by. */
  path: string;
  body: Blob;
  contentType: string;
  etag: string;
  isPage: boolean;
  /** Files at a fixed URL (not named by their hash): revalidated, not cached for a year. */
  cacheControl?: string;
  /** A Content-Security-Policy of its own (the service worker's). */
  policy?: string;
}

/**
 * Files the page's bundle does not name, at URLs that must not change: the service worker (a new one must replace the
 * old at once: revalidated on every check) and the icons the web app manifest lists.
 */
const FIXED_FILES: Array<{ path: string; file: string; contentType: string; cacheControl: string; policy?: string }> = [
  {
    path: "/sw.js",
    file: serviceWorker,
    contentType: "text/javascript; charset=utf-8",
    cacheControl: "no-cache",
    policy: "default-src 'none'; img-src 'self'",
  },
  { path: "/icon-192.png", file: icon192, contentType: "image/png", cacheControl: "public, max-age=86400" },
  { path: "/icon-512.png", file: icon512, contentType: "image/png", cacheControl: "public, max-age=86400" },
  { path: "/icon-maskable-512.png", file: iconMaskable, contentType: "image/png", cacheControl: "public, max-age=86400" },
];

async function fixedFiles(): Promise<WebFile[]> {
  return Promise.all(
    FIXED_FILES.map(async ({ path, file, contentType, cacheControl, policy }) => {
      const body = Bun.file(file);
      return { path, body, contentType, etag: `"${Bun.hash(await body.arrayBuffer()).toString(36)}"`, isPage: false, cacheControl, policy };
    }),
  );
}

/**
 * What the page may do: its own scripts and styles only (no inline code, no eval), images from this server and
 * from blob: (the preview of an upload in progress), requests and WebSockets back to this server only, no
 * plugins, no framing, forms posting nowhere else.
 */
export function pageCsp(host: string | null): string {
  // 'self' covers ws:/wss: to the same host in CSP Level 3 browsers; older ones need the host spelled out.
  const sockets = host && /^[\w.-]+(:\d+)?$|^\[[\da-f:.]+\](:\d+)?$/i.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    `connect-src 'self'${sockets}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");
}

async function bundledFiles(): Promise<WebFile[]> {
  if (index.files?.length) {
    return index.files.map((file) => ({
      path: file.loader === "html" ? "/" : `/${basename(file.path)}`,
      body: Bun.file(file.path),
      contentType: file.headers["content-type"],
      etag: `"${file.headers.etag}"`,
      isPage: file.loader === "html",
    }));
  }
  const build = await Bun.build({ entrypoints: [index.index], target: "browser", minify: true });
  if (!build.success) throw new AggregateError(build.logs, "The web client failed to build");
  return build.outputs
    .filter((output) => !output.path.endsWith(".map"))
    .map((output) => {
      const isPage = output.type.startsWith("text/html");
      return {
        path: isPage ? "/" : `/${basename(output.path)}`,
        body: output,
        contentType: output.type,
        etag: `"${output.hash ?? Bun.hash(output.path).toString(36)}"`,
        isPage,
      };
    });
}

let files: Promise<WebFile[]> | undefined;

/** Bun routes for the page and its assets (built once per process). */
export async function webClientRoutes({
  log,
  metrics,
}: Pick<AppContext, "log" | "metrics">): Promise<Record<string, { GET: (request: Request) => Response; HEAD: (request: Request) => Response }>> {
  const routes: Record<string, { GET: (request: Request) => Response; HEAD: (request: Request) => Response }> = {};
  for (const file of await (files ??= Promise.all([bundledFiles(), fixedFiles()]).then((lists) => lists.flat()))) {
    const bytes = new Uint8Array(await file.body.arrayBuffer());
    const answer = (request: Request, headers: Record<string, string>) => {
      if (request.headers.get("if-none-match") === file.etag) return new Response(null, { status: 304, headers });
      return new Response(request.method === "HEAD" ? null : bytes, { headers: { ...headers, "content-length": String(bytes.byteLength) } });
    };
    // Logged, counted and given an X-Request-Id like every answer of the API.
    const serve = (request: Request) => {
      const at = performance.now();
      const id = requestIdOf(request);
      const headers: Record<string, string> = {
        ...SECURITY_HEADERS,
        "x-request-id": id,
        "content-type": file.contentType,
        etag: file.etag,
        // The page is revalidated on every load (so a new version shows at once); assets are named by their hash.
        "cache-control": file.cacheControl ?? (file.isPage ? "no-cache" : "public, max-age=31536000, immutable"),
      };
      if (file.isPage) headers["content-security-policy"] = pageCsp(request.headers.get("host"));
      if (file.policy) headers["content-security-policy"] = file.policy;
      const response = answer(request, headers);
      recordRequest(log, metrics, request, { id, route: file.path, status: response.status, seconds: (performance.now() - at) / 1000, userId: null });
      return response;
    };
    routes[file.path] = { GET: serve, HEAD: serve };
  }
  return routes;
}
