// A listening Parley: the app on a port, background jobs running, and an orderly stop.
import type { Config } from "./config";
import { createApp, type Parley } from "./app";
import type { Logger } from "./lib/log";

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
        parley.ctx.hub.disconnectAll(1001, "Server shutting down");
        await parley.app.stop();
        await parley.close();
      })()),
  };
}
