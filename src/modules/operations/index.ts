// Liveness, readiness and metrics, for load balancers and Prometheus.
import { createHash, timingSafeEqual } from "node:crypto";
import { accessSync, constants } from "node:fs";
import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { databasePath, isMigrated } from "../../db";
import { pingWriter } from "../../db/maintenance";
import { isDatabaseUnreachable } from "../../lib/database-outage";
import { errorBody, jsonResponse } from "../../lib/http";

/**
 * Ready means: not shutting down, the last write not refused for a full disk, the database (file) writable, every
 * migration applied, the writer answering (an unreachable database is noted as an outage: logged once, not per check).
 */
async function readiness(ctx: AppContext): Promise<string | null> {
  if (ctx.lifecycle.draining) return "shutting down";
  if (ctx.diskSpace.isFull()) return "disk full";
  try {
    if (ctx.sqlite) accessSync(databasePath(ctx.config.dataDir), constants.W_OK);
    if (!(await isMigrated(ctx.reader))) return "database not migrated";
    await pingWriter(ctx.db);
    ctx.faults.database.answered();
    return null;
  } catch (error) {
    // The detail (hosts, paths) goes to the log, not to whoever asks /readyz.
    if (!isDatabaseUnreachable(error)) ctx.log.warn("readiness check failed", { error: String(error) });
    ctx.faults.refusal(error);
    return "database unavailable";
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** Whether `authorization` is `Bearer <token>`, compared in constant time (digests: equal lengths whatever was sent). */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(authorization ?? "")?.[1] ?? "";
  return timingSafeEqual(sha256(given), sha256(token));
}

export const operationRoutes = (ctx: AppContext) =>
  new Elysia({ tags: ["Operations"] })
    .get("/healthz", () => ({ status: "ok" as const }), {
      response: t.Object({ status: t.Literal("ok") }),
      detail: { summary: "Liveness: the process answers" },
    })
    .get(
      "/readyz",
      async ({ status }) => {
        const problem = await readiness(ctx);
        if (problem) return status(503, { status: "unavailable" as const, reason: problem });
        // Without Redis a node still serves its own clients and reads the other nodes' events from the log: ready,
        // but say so (and parley_redis_up in /metrics). The node count shows a split: nodes that should hear each other but do not.
        const { transport } = ctx;
        return transport
          ? {
              status: "ready" as const,
              redis: transport.connected ? ("up" as const) : ("down" as const),
              cluster: { id: ctx.cluster.id, nodes: transport.nodes },
            }
          : { status: "ready" as const };
      },
      {
        response: {
          200: t.Object({
            status: t.Literal("ready"),
            redis: t.Optional(t.UnionEnum(["up", "down"], { description: "With PARLEY_REDIS_URL only." })),
            cluster: t.Optional(t.Object({ id: t.String(), nodes: t.Integer({ description: "Nodes this one hears (itself included)." }) })),
          }),
          503: t.Object({ status: t.Literal("unavailable"), reason: t.String() }),
        },
        detail: { summary: "Readiness: database reachable, writable and migrated; 503 while shutting down, the disk is full or the database unavailable" },
      },
    )
    .get(
      "/metrics",
      ({ headers }) => {
        const token = ctx.config.metricsToken;
        if (token && !bearerMatches(headers.authorization, token)) {
          return jsonResponse(401, errorBody("not_authenticated", "A metrics token is required."), { "www-authenticate": 'Bearer realm="metrics"' });
        }
        return new Response(ctx.metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
      },
      {
        detail: {
          summary: "Prometheus metrics (Bearer PARLEY_METRICS_TOKEN when set)",
          responses: {
            200: { description: "The Prometheus text format.", content: { "text/plain": { schema: { type: "string" } } } },
            401: { description: "PARLEY_METRICS_TOKEN is set and was not given." },
          },
        },
      },
    );
