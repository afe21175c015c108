// Cross-cutting HTTP behaviour: security headers, CORS for configured origins only, request body limits.
import { Elysia } from "elysia";
import type { Config } from "../config";
import { errorBody, jsonResponse } from "./http";

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

/** Multipart bodies may carry an upload; everything else is held to the JSON limit. */
export function bodyLimit(config: Config, contentType: string | null): number {
  return contentType?.toLowerCase().startsWith("multipart/form-data") ? config.maxUploadBytes + 64 * 1024 : config.maxJsonBytes;
}

export function webDefaults(config: Config) {
  const allowAny = config.corsOrigins.includes("*");
  const allowed = new Set(config.corsOrigins);
  return new Elysia({ name: "parley-web" }).onRequest(({ request, set }) => {
    Object.assign(set.headers, SECURITY_HEADERS);
    const origin = request.headers.get("origin");
    if (origin && (allowAny || allowed.has(origin))) {
      set.headers["access-control-allow-origin"] = origin;
      set.headers["access-control-allow-credentials"] = "true";
      set.headers["vary"] = "Origin";
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
  });
}
