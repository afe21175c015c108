// In-process jobs on an interval: no external scheduler (the original needed Celery and Redis for this).
import type { AppContext } from "./context";
import { asTheOnlySweeper, optimizeSqlite } from "./db/maintenance";
import { AppError } from "./lib/errors";
import { pruneRateLimits } from "./lib/rate-limit";
import { sweepRevokedTokens } from "./modules/auth/service";
import { sweepWsTickets } from "./modules/auth/ws-tickets";
import { sweepExpiredFiles } from "./modules/files/service";
import { sweepRetention } from "./modules/messages/retention";
import { expireClientIds } from "./modules/messages/service";
import { SLOW_CONSUMER_BYTES } from "./modules/realtime/hub";
import { startWebhookDeliveries } from "./modules/webhooks/delivery";

/**
 * Runs every job once per PARLEY_SWEEP_INTERVAL, closes slow consumers, and indexes new messages for search;
 * returns a stop function that waits for a run in progress.
 */
export function startHousekeeping(ctx: AppContext): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const runOnce = () => housekeepOnce(ctx);
  const timer = setInterval(() => {
    running = running.then(runOnce);
  }, ctx.config.sweepIntervalMs);
  // Once soon after start, for anything that expired while the server was down (not during start-up itself).
  const first = setTimeout(() => (running = running.then(runOnce)), 1_000);
  const slowConsumers = setInterval(() => ctx.hub.closeSlowConsumers(SLOW_CONSUMER_BYTES), 250);
  const stopIndexer = ctx.searchIndexer.start();
  const stopDeliveries = startWebhookDeliveries(ctx);
  return async () => {
    await stopDeliveries();
    await stopIndexer();
    clearTimeout(first);
    clearInterval(timer);
    clearInterval(slowConsumers);
    await running;
  };
}

/** One round of housekeeping (what the interval runs); errors are logged, never thrown. */
export async function housekeepOnce(ctx: AppContext): Promise<void> {
  try {
    pruneRateLimits(ctx.limits); // full buckets are the same as none: memory holds only recently active keys
    // SQLite has one node; on PostgreSQL the nodes take turns.
    await (ctx.sqlite ? sweepDatabase(ctx) : asTheOnlySweeper(ctx.db, () => sweepDatabase(ctx)));
  } catch (error) {
    // A database that went away is noted (and logged) once as an outage; the next round tries again.
    if (!(ctx.faults.refusal(error) instanceof AppError)) ctx.log.error("housekeeping failed", { error: String(error) });
  }
}

/** Expired files, revoked tokens and WebSocket tickets, old client_ids, retention; the search index purge and statistics on SQLite. */
async function sweepDatabase(ctx: AppContext): Promise<void> {
  const files = await sweepExpiredFiles(ctx);
  const tokens = await sweepRevokedTokens(ctx);
  const tickets = await sweepWsTickets(ctx);
  const clientIds = await expireClientIds(ctx);
  const retention = await sweepRetention(ctx);
  await ctx.searchIndexer.purgeIfDue();
  if (ctx.sqlite) await optimizeSqlite(ctx.db);
  const expired = retention.messagesDeleted + retention.messagesTombstoned + retention.eventsDeleted + retention.orphanFilesRemoved;
  if (files || tokens || tickets || clientIds || expired) {
    ctx.log.info("housekeeping", {
      expired_files_removed: files,
      revoked_tokens_removed: tokens,
      ws_tickets_removed: tickets,
      client_ids_expired: clientIds,
      messages_deleted: retention.messagesDeleted,
      messages_tombstoned: retention.messagesTombstoned,
      events_deleted: retention.eventsDeleted,
      orphan_uploads_removed: retention.orphanFilesRemoved,
    });
  }
}
