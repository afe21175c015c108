// Cross-cutting HTTP behaviour: security headers, CORS for configured origins only, request body limits.
import { Elysia, ParseError } from "elysia";
import { parseQuery } from "elysia/parse-query";
import type { Config } from "../config";
import { AppError } from "./errors";
import { errorBody, jsonResponse } from "./http";

export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

/** Multipart bodies may carry an upload; everything else is held to the JSON limit. */
export function bodyLimit(config: Config, contentType: string | null): number {
  return contentType?.toLowerCase().startsWith("multipart/form-data") ? config.maxUploadBytes + 64 * 1024 : config.maxJsonBytes;
}

/** A body's text, refused (413) as soon as it passes `limit` bytes rather than read in full. */
async function readLimited(body: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      void reader.cancel().catch(() => {});
      throw new AppError(413, "payload_too_large", "The request body is too large.");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function webDefaults(config: Config) {
  const allowAny = config.corsOrigins.includes("*");
  const allowed = new Set(config.corsOrigins);
  return (
    new Elysia({ name: "parley-web" })
      .onRequest(({ request, set }) => {
        Object.assign(set.headers, SECURITY_HEADERS);
        const origin = request.headers.get("origin");
        if (origin && (allowAny || allowed.has(origin))) {
          set.headers["access-control-allow-origin"] = origin;
          set.headers["access-control-allow-credentials"] = "true";
          set.headers.vary = "Origin";
          if (request.method === "OPTIONS") {
            return new Response(null, {
              status: 204,
              headers: {
                ...SECURITY_HEADERS,
                "access-control-allow-origin": origin,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                "access-control-allow-headers": "authorization, content-type, x-request-id",
                "access-control-max-age": "600",
                vary: "Origin",
              },
            });
          }
        }
        const length = Number(request.headers.get("content-length") ?? 0);
        if (length > bodyLimit(config, request.headers.get("content-type"))) {
          return jsonResponse(413, errorBody("payload_too_large", "The request body is too large."), SECURITY_HEADERS);
        }
      })
      // A chunked body has no Content-Length to check above, and Bun holds it only to the upload limit:
      // read a non-multipart one here under the JSON limit. (Elysia wraps the 413 in a ParseError; onError unwraps it.)
      // JSON is parsed here in every case, refused when nested deeper than any API body could be: Elysia's validation error
      // serializes the body it refuses, which for 50,000 nested arrays took seconds of CPU and then overflowed the stack.
      .onParse({ as: "global" }, async ({ request }, contentType) => {
        if (!request.body || contentType === "multipart/form-data") return;
        const json = contentType === "application/json";
        // Slack-style incoming webhooks read their own body, to answer malformed JSON the way Slack does (webhooks/index.ts).
        if (request.headers.has("content-length") && (!json || new URL(request.url).pathname.startsWith("/hooks/"))) return;
        const text = request.headers.has("content-length") ? await request.text() : await readLimited(request.body, config.maxJsonBytes);
        if (json) {
          if (nestingDepth(text) > MAX_JSON_DEPTH) throw new ParseError(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`));
          try {
            return JSON.parse(text);
          } catch (error) {
            throw new ParseError(error as Error);
          }
        }
        return contentType === "application/x-www-form-urlencoded" ? parseQuery(text) : text;
      })
  );
}

export const MAX_JSON_DEPTH = 64;

/** How deep a JSON text's arrays and objects nest (brackets inside strings not counted), in one pass. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) deepest = Math.max(deepest, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}
