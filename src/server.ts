// A listening Parley: the app on a port, background jobs running, and an orderly stop.
import type { Config } from "./config";
import { createApp, type Parley } from "./app";
import { startRedisTransport } from "./modules/realtime/transport";
import type { Logger } from "./lib/log";

/** How long requests in flight may take to finish once shutdown begins. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  parley: Parley;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startServer(config: Config, options: { log?: Logger } = {}): Promise<RunningServer> {
  const parley = await createApp(config, options);
  parley.app.listen({ port: config.port, hostname: config.host });
  parley.ctx.hub.attach(parley.app.server);
  parley.startJobs();
  if (config.redisUrl) parley.ctx.transport = startRedisTransport(parley.ctx, config.redisUrl);
  const server = parley.app.server!;
  const port = server.port!;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  let stopping: Promise<void> | undefined;
  return {
    parley,
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    stop: () =>
      (stopping ??= (async () => {
        // Readiness fails first (load balancers stop sending), sockets are told to reconnect elsewhere, requests
        // in flight finish (for at most SHUTDOWN_GRACE_MS), then the database is checkpointed and closed.
        parley.ctx.lifecycle.draining = true;
        parley.ctx.hub.disconnectAll(1001, "Server shutting down");
        const graceful = parley.app.stop(false);
        const timedOut = await Promise.race([graceful.then(() => false), Bun.sleep(SHUTDOWN_GRACE_MS).then(() => true)]);
        if (timedOut) await parley.app.stop(true);
        await parley.ctx.transport?.close();
        await parley.close();
      })()),
  };
}
