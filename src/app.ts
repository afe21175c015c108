// createApp assembles Parley from its modules around one database; tests build one against a temp data dir.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Elysia } from "elysia";
import type { Config } from "./config";
import type { AppContext } from "./context";
import { databasePath, isMigrated, migrateToLatest, openConfiguredDatabase, type DatabaseHandle } from "./db";
import { WalCheckpointer } from "./db/checkpointer";
import { GroupCommitter } from "./core/commit";
import { newestSeq, readLoggedEvents } from "./core/events";
import { errorHandling } from "./lib/http";
import { canonicalPathIds, noNulCharacters } from "./lib/schemas";
import { DiskSpace } from "./lib/disk-space";
import { DatabaseOutage } from "./lib/database-outage";
import { Faults } from "./lib/faults";
import { pingWriter } from "./db/maintenance";
import { createLogger, type Logger } from "./lib/log";
import { Metrics } from "./lib/metrics";
import { clientIpSource } from "./lib/client-ip";
import { createRateLimits } from "./lib/rate-limit";
import { ReadPool } from "./lib/read-pool";
import { observability } from "./lib/observability";
import { bodyLimit, webDefaults } from "./lib/web";
import { tightenModes } from "./lib/private-files";
import { adminRoutes } from "./modules/admin";
import { authRoutes } from "./modules/auth";
import { apiTokenRoutes } from "./modules/auth/api-token-routes";
import { createPasswords } from "./modules/auth/passwords";
import { loadOrCreateSecret, loadOrCreateSharedSecret, secretPath } from "./modules/auth/secret";
import { createTokens } from "./modules/auth/tokens";
import { CallerCache } from "./modules/auth/caller-cache";
import { conversationRoutes } from "./modules/conversations";
import { docsRoutes } from "./modules/docs";
import { operationRoutes } from "./modules/operations";
import { fileRoutes } from "./modules/files";
import { multipartUploads } from "./modules/files/multipart";
import { FileStorage, uploadsDir } from "./modules/files/storage";
import { createFileUrls } from "./modules/files/urls";
import { mentionRoutes, messageFileRoutes, messageRoutes } from "./modules/messages";
import { fastSendRoutes } from "./modules/messages/fast-send";
import { realtimeRoutes } from "./modules/realtime";
import { searchRoutes } from "./modules/search";
import { pushRoutes } from "./modules/push";
import { PushSender } from "./modules/push/sender";
import type { VapidKeys } from "./modules/push/model";
import { loadOrCreateVapidKeys } from "./modules/push/service";
import { presenceIn } from "./modules/realtime/service";
import { gatewayRoutes } from "./modules/realtime/gateway";
import { NewestPages } from "./modules/messages/newest-pages";
import type { MessageView } from "./modules/messages/model";
import { MembershipCache } from "./modules/conversations/membership-cache";
import { ConversationLists } from "./modules/conversations/list-cache";
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
  /** SQLite: checkpoints the write-ahead log in a worker thread (db/checkpointer.ts). */
  checkpointer: WalCheckpointer | null;
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
    // idleTimeout also bounds a request body that trickles in (uWebSockets closes connections that have sent no complete
    // request headers within 10 s by itself).
    serve: {
      idleTimeout: Math.round(config.httpIdleTimeoutMs / 1000),
      maxRequestBodySize: bodyLimit(config, "multipart/form-data"),
      routes: { ...webRoutes, ...gatewayRoutes(ctx), ...fastSendRoutes(ctx, (request) => app.handle(request)) } as never,
    },
    websocket: {
      maxPayloadLength: 64 * 1024, // larger frames are closed with 1009
      idleTimeout: Math.round(config.wsIdleTimeoutMs / 1000), // Bun pings idle sockets and closes those that stop answering
      sendPings: true,
      backpressureLimit: SLOW_CONSUMER_BYTES,
      closeOnBackpressureLimit: false, // the gateway closes slow consumers itself, with 1013 (see realtime/hub.ts)
      perMessageDeflate: false,
    },
  })
    .use(errorHandling(ctx.log, ctx.faults))
    .use(canonicalPathIds())
    .use(noNulCharacters(() => app.routes as never))
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
    .use(userRoutes(ctx))
    .use(pushRoutes(ctx));
  return app;
}

/** Metrics read at scrape time, and counts of what the hub publishes. Returns what stops the event-loop monitor. */
function registerReadings(ctx: AppContext): () => void {
  const { metrics, hub } = ctx;
  metrics.reading("parley_websocket_connections", "Open WebSocket connections.", "gauge", () => hub.connectionCount);
  metrics.reading("parley_events_delivered_total", "Event frames delivered to sockets.", "counter", () => hub.delivered);
  if (ctx.config.redisUrl) {
    metrics.reading("parley_redis_up", "1 when the Redis link to the other nodes is up, 0 when down.", "gauge", () => (ctx.transport?.connected ? 1 : 0));
    metrics.reading("parley_events_received_total", "Events other nodes announced through Redis.", "counter", () => ctx.transport?.received ?? 0);
    metrics.reading("parley_cluster_nodes", "Nodes of this cluster this node hears through Redis, itself included.", "gauge", () => ctx.transport?.nodes ?? 1);
    metrics.reading("parley_events_from_log_total", "Events read from the log because their announcement never came.", "counter", () => hub.filledFromLog);
  }
  ctx.push.registerReadings(metrics);
  metrics.reading("parley_process_resident_memory_bytes", "Resident memory of the process.", "gauge", () => process.memoryUsage.rss());
  metrics.reading("parley_process_heap_used_bytes", "JavaScript heap in use.", "gauge", () => process.memoryUsage().heapUsed);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  // Since the previous scrape: one scraper (Prometheus, the soak) sees each stall once.
  metrics.reading("parley_event_loop_delay_p99_seconds", "Event-loop delay, 99th percentile since the previous scrape.", "gauge", () => {
    const p99 = loopDelay.percentile(99) / 1e9;
    loopDelay.reset();
    return p99;
  });
  return () => loopDelay.disable();
}

/** Everything that follows an event the hub delivers, committed on this node or another: listed here and nowhere else. */
function afterDelivery(ctx: AppContext) {
  const { metrics, newestPages, conversationLists, searchIndexer, memberships } = ctx;
  ctx.hub.onDeliver((event) => {
    memberships.changed(event);
    metrics.eventsPublished.inc({ type: event.type });
    if (event.type === "message.created") {
      metrics.messagesStored.inc();
      searchIndexer.messageCreated();
    }
    if (!event.private && event.type !== "read") newestPages.forget(event.conversation_id);
    conversationLists.forgetConversation(event.conversation_id);
    if (event.user_id !== null) conversationLists.forgetUser(event.user_id);
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
  let vapid: VapidKeys;
  try {
    if (!(await isMigrated(database.reader))) await migrateToLatest(database.db);
    cluster = await joinCluster(database.db);
    secret = config.jwtSecret ?? (database.kind === "postgres" ? await loadOrCreateSharedSecret(database.db) : loadOrCreateSecret(config.dataDir));
    vapid = await loadOrCreateVapidKeys(database.db);
  } catch (error) {
    await database.close().catch(() => undefined);
    // Say which database (never its password): "Failed to connect" alone does not tell a self-hoster where to look.
    if (config.databaseUrl)
      throw new Error(`PostgreSQL at ${postgresWhere(config.databaseUrl)} (PARLEY_DATABASE_URL): ${(error as Error).message}`, { cause: error });
    throw error;
  }
  const checkpointer = database.sqlite
    ? new WalCheckpointer(database.sqlite, databasePath(config.dataDir), {
        entry: Bun.main.startsWith("/$bunfs/") ? "./checkpoint-worker.ts" : new URL("./checkpoint-worker.ts", import.meta.url),
        db: database.db,
        log,
      })
    : null;
  const hub = new Hub(log);
  const metrics = new Metrics();
  const diskSpace = new DiskSpace(config.dataDir, log);
  const faults = new Faults(diskSpace, new DatabaseOutage(log, () => pingWriter(database.db)));
  const committer = new GroupCommitter({
    sqlite: database.sqlite,
    transaction: database.transaction,
    metrics,
    faults,
    // A batch's events, once committed: to this node's sockets (in seq order), then to the other nodes.
    afterCommit: (events) => {
      // Memberships at once: the hub may hold an event back until the one before it arrives (see hub.ts publish).
      for (const event of events) ctx.memberships.changed(event);
      for (const event of events) hub.publish(event);
      ctx.transport?.send(events);
      // Web Push once per message, by the node that committed it (the others only deliver it to their sockets).
      for (const event of events) if (event.type === "message.created") ctx.push.messageCreated(event.data as MessageView);
    },
  });
  const fileUrls = createFileUrls(secret, config.fileUrlTtlMs);
  const ctx: AppContext = {
    config,
    db: database.db,
    log,
    tokens: createTokens(secret, { access: config.accessTtlMs, refresh: config.refreshTtlMs }),
    callers: new CallerCache(),
    passwords: createPasswords({ memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost }),
    uploads: new FileStorage(uploadsDir(config.dataDir), diskSpace),
    diskSpace,
    faults,
    fileUrls,
    sqlite: database.sqlite,
    reader: database.reader,
    reads: new ReadPool(
      { reader: database.reader, fileUrls },
      {
        size: config.readWorkers,
        // The binary embeds the worker as its second entrypoint, found by this name (its URLs name the build machine's files).
        entry: Bun.main.startsWith("/$bunfs/") ? "./read-worker.ts" : new URL("./read-worker.ts", import.meta.url),
        setup: database.sqlite ? { dataDir: config.dataDir, secret, fileUrlTtlMs: config.fileUrlTtlMs } : null,
        log,
      },
    ),
    committer,
    hub,
    newestPages: new NewestPages(),
    memberships: new MembershipCache(),
    conversationLists: new ConversationLists(),
    searchIndexer: new SearchIndexer({ sqlite: database.sqlite, reader: database.sqlite ? (database.reader as SqliteDatabase) : null, committer, log }),
    metrics,
    push: new PushSender({
      db: database.db,
      reader: database.reader,
      log,
      keys: vapid,
      subject: config.pushSubject,
      allowPrivate: config.pushAllowHttp,
      online: (userIds) => presenceIn(ctx).onlineAmong(userIds),
    }),
    lifecycle: { draining: false },
    limits: createRateLimits(config),
    cluster,
    transport: null,
    clientIp: clientIpSource(config.trustProxy),
  };
  const stopLoopMonitor = registerReadings(ctx);
  if (checkpointer) {
    ctx.metrics.reading("parley_wal_checkpoints_total", "Checkpoints the checkpoint worker ran (SQLite).", "counter", () => checkpointer.checkpoints);
    ctx.metrics.reading("parley_wal_bytes", "Size of SQLite's write-ahead log file.", "gauge", () => checkpointer.walBytes());
  }
  afterDelivery(ctx);
  // Every change to a user's sign-in closes their sockets on every node (hub.disconnectUser): their checked tokens go too.
  ctx.hub.onSignal((signal) => signal.kind === "disconnect" && ctx.callers.forget(signal.user_id));
  ctx.hub.lastPublished = await newestSeq(database.reader);
  ctx.hub.setLogReader((after, before) => readLoggedEvents(database.reader, after, before));
  const app = buildRoutes(ctx, await webClientRoutes(ctx));
  let stopJobs: (() => Promise<void>) | undefined;
  return {
    app,
    ctx,
    database,
    checkpointer,
    startJobs() {
      stopJobs ??= startHousekeeping(ctx);
    },
    async close() {
      ctx.push.stop();
      await ctx.reads.close();
      stopLoopMonitor();
      await stopJobs?.();
      faults.database.stop();
      await checkpointer?.stop();
      await database.close();
    },
  };
}
