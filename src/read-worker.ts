// A read worker (lib/read-pool.ts): its own read connection, the services that define heavy reads, one read at a time.
// An entrypoint of the compiled binary beside index.ts (see package.json's build).
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { openReader } from "./db";
import { answerRead, type ReadContext, type ReadRequest, type WorkerSetup } from "./lib/read-pool";
import { createFileUrls } from "./modules/files/urls";
import "./modules/admin/service";
import "./modules/conversations/service";
import "./modules/messages/service";
import "./modules/search/service";

declare const self: Worker;

/** Reads yield the core to the event loop: on Linux a thread has its own nice value. */
function lowerPriority() {
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 10);
  } catch {}
}

let ctx: ReadContext | undefined;
self.onmessage = async ({ data }: MessageEvent<WorkerSetup | ReadRequest>) => {
  if (!ctx) {
    const setup = data as WorkerSetup;
    lowerPriority();
    ctx = { reader: openReader(setup.dataDir), fileUrls: createFileUrls(setup.secret, setup.fileUrlTtlMs) };
    return;
  }
  self.postMessage(await answerRead(ctx, data as ReadRequest));
};
