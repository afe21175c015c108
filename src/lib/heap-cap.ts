// JavaScriptCore lets garbage pile up to tens of megabytes between collections on a busy server (every send
// allocates a few kilobytes that die at once), and the heap's pages stay resident: under a burst of sends RSS doubled.
// This collects as soon as the heap has grown by GROWTH_BYTES since it was last found collected, so the high-water
// mark stays near what is live. (An eden collection does not bring it down; a full one of a ~12 MB heap costs a few ms.)
const CHECK_MS = 100;
const GROWTH_BYTES = 16 * 1024 * 1024;

/**
 * Whether this thread's heap grew by `growthBytes` since it was last found collected (and, with `minIntervalMs`, the
 * last forced collection is that long ago), and the collection.
 */
export function heapGrowth(growthBytes: number, minIntervalMs = 0): { due(): boolean; collect(): void } {
  let base = process.memoryUsage().heapTotal;
  let last = 0;
  return {
    due() {
      const total = process.memoryUsage().heapTotal;
      if (total < base) base = total;
      return total - base > growthBytes && performance.now() - last >= minIntervalMs;
    },
    collect() {
      Bun.gc(true);
      base = process.memoryUsage().heapTotal;
      last = performance.now();
    },
  };
}

/** Starts the check (of this thread's heap: a worker has its own); returns what stops it. */
export function capHeapGrowth(growthBytes = GROWTH_BYTES): () => void {
  const growth = heapGrowth(growthBytes);
  const timer = setInterval(() => growth.due() && growth.collect(), CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
