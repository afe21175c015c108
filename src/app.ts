// createApp assembles Parley from its modules around one database; tests build one against a temp data dir.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { Elysia } from "elysia";
import type { Config } from "./config";
import type { AppContext } from "./context";
import { databasePath, isMigrated, migrateToLatest, openConfiguredDatabase, type DatabaseHandle } from "./db";
import { GroupCommitter } from "./core/commit";
import { newestSeq, readLoggedEvents } from "./core/events";
import { errorHandling } from "./lib/http";
import { DiskSpace } from "./lib/disk-space";
import { createLogger, type Logger } from "./lib/log";
import { Metrics } from "./lib/metrics";
import { clientIpSource } from "./lib/client-ip";
import { createRateLimits } from "./lib/rate-limit";
import { observability } from "./lib/observability";
import { bodyLimit, webDefaults } from "./lib/web";
import { tightenModes } from "./lib/private-files";
import { adminRoutes } from "./modules/admin";
import { authRoutes } from "./modules/auth";
import { apiTokenRoutes } from "./modules/auth/api-token-routes";
import { createPasswords } from "./modules/auth/passwords";
import { loadOrCreateSecret, loadOrCreateSharedSecret, secretPath } from "./modules/auth/secret";
import { createTokens } from "./modules/auth/tokens";
import { conversationRoutes } from "./modules/conversations";
import { docsRoutes } from "./modules/docs";
import { operationRoutes } from "./modules/operations";
import { fileRoutes } from "./modules/files";
import { multipartUploads } from "./modules/files/multipart";
import { FileStorage, uploadsDir } from "./modules/files/storage";
import { createFileUrls } from "./modules/files/urls";
import { mentionRoutes, messageFileRoutes, messageRoutes } from "./modules/messages";
import { realtimeRoutes } from "./modules/realtime";
import { searchRoutes } from "./modules/search";
import { gatewayRoutes } from "./modules/realtime/gateway";
import { NewestPages } from "./modules/messages/newest-pages";
import { SearchIndexer } from "./modules/search/indexer";
import { Hub, SLOW_CONSUMER_BYTES } from "./modules/realtime/hub";
import { joinCluster, type Cluster } from "./modules/realtime/cluster";
import { userRoutes } from "./modules/users";
import { hookRoutes, outgoingWebhookRoutes, webhookRoutes } from "./modules/webhooks";
import { webClientRoutes } from "./modules/web-client";
import { startHousekeeping } from "./housekeeping";

export interface Parley {
  app: ReturnType<typeof buildRoutes>;
  ctx: AppContext;
  database: DatabaseHandle;
  /** Starts the in-process background jobs (expired files, revoked tokens); close() stops them. */
  startJobs(): void;
  /** Stops background jobs and closes the database. */
  close(): Promise<void>;
}

function buildRoutes(ctx: AppContext, webRoutes: Record<string, unknown>) {
  const { config } = ctx;
  const app: Elysia<any, any, any, any, any, any, any> = new Elysia({
    // Bun enforces this on the socket; webDefaults answers the common case (a declared Content-Length) in JSON first.
    // No t.Transform in any response schema: skip the per-response Encode pass (a fifth of a history read).
    encodeSchema: false,
    serve: { maxRequestBodySize: bodyLimit(config, "multipart/form-data"), routes: { ...webRoutes, ...gatewayRoutes(ctx) } as never },
    websocket: {
      maxPayloadLength: 64 * 1024, // larger frames are closed with 1009
      idleTimeout: Math.round(config.wsIdleTimeoutMs / 1000), // Bun pings idle sockets and closes those that stop answering
      sendPings: true,
      backpressureLimit: SLOW_CONSUMER_BYTES,
      closeOnBackpressureLimit: false, // the gateway closes slow consumers itself, with 1013 (see realtime/hub.ts)
      perMessageDeflate: false,
    },
  })
    .use(errorHandling(ctx.log, ctx.diskSpace))
    .use(observability(ctx.log, ctx.metrics))
    .use(webDefaults(config))
    .use(multipartUploads(ctx, messageFileRoutes))
    .use(operationRoutes(ctx))
    .use(docsRoutes(() => app.routes as never))
    .use(fileRoutes(ctx))
    .use(conversationRoutes(ctx))
    .use(messageRoutes(ctx))
    .use(mentionRoutes(ctx))
    .use(searchRoutes(ctx))
    .use(realtimeRoutes(ctx))
    .use(adminRoutes(ctx))
    .use(authRoutes(ctx))
    .use(apiTokenRoutes(ctx))
    .use(hookRoutes(ctx))
    .use(webhookRoutes(ctx))
    .use(outgoingWebhookRoutes(ctx))
    .use(userRoutes(ctx));
  return app;
}

/** Metrics read at scrape time, and counts of what the hub publishes. */
function registerReadings(ctx: AppContext) {
  const { metrics, hub } = ctx;
  metrics.reading("parley_websocket_connections", "Open WebSocket connections.", "gauge", () => hub.connectionCount);
  metrics.reading("parley_events_delivered_total", "Event frames delivered to sockets.", "counter", () => hub.delivered);
  if (ctx.config.redisUrl) {
    metrics.reading("parley_redis_up", "1 when the Redis link to the other nodes is up, 0 when down.", "gauge", () => (ctx.transport?.connected ? 1 : 0));
    metrics.reading("parley_events_received_total", "Events other nodes announced through Redis.", "counter", () => ctx.transport?.received ?? 0);
    metrics.reading("parley_cluster_nodes", "Nodes of this cluster this node hears through Redis, itself included.", "gauge", () => ctx.transport?.nodes ?? 1);
    metrics.reading("parley_events_from_log_total", "Events read from the log because their announcement never came.", "counter", () => hub.filledFromLog);
  }
  metrics.reading("parley_process_resident_memory_bytes", "Resident memory of the process.", "gauge", () => process.memoryUsage.rss());
}

/** Everything that follows an event the hub delivers, committed on this node or another: listed here and nowhere else. */
function afterDelivery(ctx: AppContext) {
  const { metrics, newestPages, searchIndexer } = ctx;
  ctx.hub.onDeliver((event) => {
    metrics.eventsPublished.inc({ type: event.type });
    if (event.type === "message.created") {
      metrics.messagesStored.inc();
      searchIndexer.messageCreated();
    }
    if (!event.private && event.type !== "read") newestPages.forget(event.conversation_id);
  });
}

/** Takes away what an older version (or a copy) left readable by other users in the data dir, saying so once. */
function tightenDataDir(config: Config, log: Logger) {
  const database = databasePath(config.dataDir);
  const paths = [config.dataDir, database, `${database}-wal`, `${database}-shm`, secretPath(config.dataDir), uploadsDir(config.dataDir)];
  const { tightened, failed } = tightenModes(paths);
  if (tightened.length) log.warn("data dir files were readable by other users; now by this one only", { tightened });
  if (failed.length) log.warn("could not make these private to this user (are they another user's?)", { paths: failed });
}

/** host:port/database of a PostgreSQL URL, without the user and password. */
function postgresWhere(url: string): string {
  const { hostname, port, pathname } = new URL(url);
  return `${hostname}:${port || 5432}${pathname}`;
}

export async function createApp(config: Config, options: { log?: Logger } = {}): Promise<Parley> {
  const log = options.log ?? createLogger(config.logLevel);
  tightenDataDir(config, log);
  const database = openConfiguredDatabase(config);
  let secret: string;
  let cluster: Cluster;
  try {
    if (!(await isMigrated(database.reader))) await migrateToLatest(database.db);
    cluster = await joinCluster(database.db);
    secret = config.jwtSecret ?? (database.kind === "postgres" ? await loadOrCreateSharedSecret(database.db) : loadOrCreateSecret(config.dataDir));
  } catch (error) {
    await database.close().catch(() => undefined);
    // Say which database (never its password): "Failed to connect" alone does not tell a self-hoster where to look.
    if (config.databaseUrl)
      throw new Error(`PostgreSQL at ${postgresWhere(config.databaseUrl)} (PARLEY_DATABASE_URL): ${(error as Error).message}`, { cause: error });
    throw error;
  }
  const hub = new Hub(log);
  const metrics = new Metrics();
  const diskSpace = new DiskSpace(config.dataDir, log);
  const committer = new GroupCommitter({
    sqlite: database.sqlite,
    transaction: database.transaction,
    metrics,
    diskSpace,
    // A batch's events, once committed: to this node's sockets (in seq order), then to the other nodes.
    afterCommit: (events) => {
      for (const event of events) hub.publish(event);
      ctx.transport?.send(events);
    },
  });
  const ctx: AppContext = {
    config,
    db: database.db,
    log,
    tokens: createTokens(secret, { access: config.accessTtlMs, refresh: config.refreshTtlMs }),
    passwords: createPasswords({ memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost }),
    uploads: new FileStorage(uploadsDir(config.dataDir), diskSpace),
    diskSpace,
    fileUrls: createFileUrls(secret, config.fileUrlTtlMs),
    sqlite: database.sqlite,
    reader: database.reader,
    committer,
    hub,
    newestPages: new NewestPages(),
    searchIndexer: new SearchIndexer({ sqlite: database.sqlite, reader: database.sqlite ? (database.reader as SqliteDatabase) : null, committer, log }),
    metrics,
    lifecycle: { draining: false },
    limits: createRateLimits(config),
    cluster,
    transport: null,
    clientIp: clientIpSource(config.trustProxy),
  };
  registerReadings(ctx);
  afterDelivery(ctx);
  ctx.hub.lastPublished = await newestSeq(database.reader);
  ctx.hub.setLogReader((after, before) => readLoggedEvents(database.reader, after, before));
  const app = buildRoutes(ctx, await webClientRoutes(ctx));
  let stopJobs: (() => Promise<void>) | undefined;
  return {
    app,
    ctx,
    database,
    startJobs() {
      stopJobs ??= startHousekeeping(ctx);
    },
    async close() {
      await stopJobs?.();
      await database.close();
    },
  };
}
