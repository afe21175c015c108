// POST /api/messages/:conversation_id/send/ with a plain JSON body, served as a Bun route in front of Elysia's: Elysia's
// per-request work (context, hooks, validation, answer mapping) was about a third of a REST send's CPU. Only the common
// case is taken here: a Bearer token that passes, a JSON body whose Content-Length is within the limit, a canonical id,
// no Origin (CORS), a body the route's schema accepts as it is, without NUL characters. Anything else, and any refusal
// before the send, goes to Elysia's route unchanged (it stays the reference, and the documentation). The answer and
// its log line and metrics are the same either way.
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { AppContext } from "../../context";
import { AppError } from "../../lib/errors";
import { errorBody, errorResponse, jsonResponse } from "../../lib/http";
import { pathOf, recordRequest, requestIdOf } from "../../lib/observability";
import { fieldWithNul } from "../../lib/schemas";
import { MAX_JSON_DEPTH, SECURITY_HEADERS, nestingDepth } from "../../lib/web";
import { requireScope, scopeForRequest } from "../auth/scopes";
import { authenticate, type AuthUser } from "../auth/service";
import { sendBody, type SendBody } from "./model";
import { sendMessage } from "./service";

const ROUTE = "/api/messages/:conversation_id/send/";
/** The route's path with a canonical id (Elysia strips the trailing slash of the routes it hands Bun: hence a wildcard). */
const SEND_PATH = /^\/api\/messages\/([1-9][0-9]{0,14})\/send\/$/;

const checkBody = TypeCompiler.Compile(sendBody);

/** The body, if this route may take the request itself; null: hand it to Elysia. */
function plainBody(text: string): SendBody | null {
  if (nestingDepth(text) > MAX_JSON_DEPTH) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body) || "file" in body) return null;
  if (!checkBody.Check(body) || fieldWithNul(body) !== null) return null;
  return body as SendBody;
}

/** The caller, if the token passes and may write; null: hand the request to Elysia (which answers the refusal or the outage). */
async function caller(ctx: AppContext, request: Request, authorization: string): Promise<AuthUser | null> {
  try {
    const user = await authenticate(ctx, authorization, { reuse: true });
    requireScope(user.scopes, scopeForRequest("POST", pathOf(request.url)));
    return user;
  } catch {
    return null;
  }
}

/** JSON as Elysia reads it: the media type before any parameter (`; charset=utf-8`). */
function isJson(contentType: string | null): boolean {
  const end = contentType?.indexOf(";") ?? -1;
  return (end < 0 ? contentType : contentType!.slice(0, end)) === "application/json";
}

export function fastSendRoutes(ctx: AppContext, elysia: (request: Request) => Response | Promise<Response>) {
  const limit = ctx.config.maxJsonBytes;
  return {
    "/api/messages/*": {
      POST: async (request: Request) => {
        const started = performance.now();
        const conversationId = SEND_PATH.exec(pathOf(request.url))?.[1];
        const authorization = request.headers.get("authorization");
        const length = Number(request.headers.get("content-length") ?? Number.NaN);
        if (
          conversationId === undefined ||
          !authorization ||
          request.headers.has("origin") ||
          !isJson(request.headers.get("content-type")) ||
          !(length <= limit)
        )
          return elysia(request);
        const user = await caller(ctx, request, authorization);
        if (!user) return elysia(request);
        const text = await request.text();
        const body = plainBody(text);
        if (!body) return elysia(new Request(request.url, { method: "POST", headers: request.headers, body: text }));
        const id = requestIdOf(request);
        const headers = { ...SECURITY_HEADERS, "x-request-id": id };
        let response: Response;
        try {
          const { json, created } = await sendMessage(ctx, user, Number(conversationId), body);
          response = new Response(json, {
            status: 201,
            headers: { ...headers, "content-type": "application/json", ...(created ? {} : { "idempotent-replay": "true" }) },
          });
        } catch (thrown) {
          const error = ctx.faults.refusal(thrown);
          if (error instanceof AppError) response = errorResponse(error);
          else {
            ctx.log.error("unhandled error", { method: "POST", path: pathOf(request.url), error: String((error as Error)?.stack ?? error) });
            response = jsonResponse(500, errorBody("internal", "Internal server error."));
          }
          for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
        }
        recordRequest(ctx.log, ctx.metrics, request, {
          id,
          route: ROUTE,
          status: response.status,
          seconds: (performance.now() - started) / 1000,
          userId: user.id,
        });
        return response;
      },
    },
  };
}
