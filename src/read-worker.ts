// A read worker (lib/read-pool.ts): its own read connection, the services that define heavy reads, one read at a time.
// An entrypoint of the compiled binary beside index.ts (see package.json's build).
import { dlopen, FFIType, ptr } from "bun:ffi";
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { openReader } from "./db";
import { heapGrowth } from "./lib/heap-cap";
import { answerRead, type CloseRequest, type ReadContext, type ReadReply, type ReadRequest, type WorkerSetup } from "./lib/read-pool";
import { createFileUrls } from "./modules/files/urls";
import "./modules/admin/service";
import "./modules/conversations/service";
import "./modules/messages/service";
import "./modules/search/service";

declare const self: Worker;

const SCHED_IDLE = 5;

/**
 * Reads take only the CPU the event loop leaves: a SCHED_IDLE thread is preempted the moment a normal one wakes
 * (a niced one may finish its time slice first, milliseconds of /healthz waiting). Linux gives each thread its own.
 */
function yieldToEventLoop() {
  try {
    const libc = dlopen("libc.so.6", { sched_setscheduler: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
    const done = libc.symbols.sched_setscheduler(0, SCHED_IDLE, ptr(new Int32Array(1))) === 0;
    libc.close();
    if (done) return;
  } catch {}
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 19);
  } catch {}
}

let ctx: ReadContext | undefined;
const garbage = heapGrowth(4 * 1024 * 1024, 250);
let database: ReturnType<typeof openReader> | undefined;
self.onmessage = async ({ data }: MessageEvent<WorkerSetup | ReadRequest | CloseRequest>) => {
  if ("close" in data) {
    database?.close();
    process.exit(0); // in a worker: this worker only
  }
  if (!ctx) {
    const setup = data as WorkerSetup;
    yieldToEventLoop();
    database = openReader(setup.dataDir);
    ctx = { reader: database, fileUrls: createFileUrls(setup.secret, setup.fileUrlTtlMs) };
    return;
  }
  const reply = await answerRead(ctx, data as ReadRequest);
  // A read's garbage is tens of kilobytes per row read: collected every 4 MiB, a worker's heap stays small instead
  // of growing resident until the VM collects on its own. After the answer, not on a timer that may fire inside a
  // read: a full collection takes 7-15 ms here (a search's p99), and meanwhile the pool sends reads elsewhere. At
  // most every 250 ms: back-to-back searches grew 4 MiB every ~45 reads, and forced collections took ~24% of the core.
  const collecting = garbage.due();
  self.postMessage({ ...reply, collecting } satisfies ReadReply);
  if (collecting) {
    garbage.collect();
    self.postMessage({ collected: true } satisfies ReadReply);
  }
};
