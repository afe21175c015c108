// The checkpoint worker (db/checkpointer.ts): its own connection to the database, a PASSIVE checkpoint every interval.
// At normal priority, unlike the read workers: at idle priority a busy core would starve it and the log would grow.
// An entrypoint of the compiled binary beside index.ts (see package.json's build).
import { Database } from "bun:sqlite";
import type { CheckpointerReply, CheckpointerRequest, CheckpointReport } from "./db/checkpointer";

declare const self: Worker;

let database: Database | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
/** The data_version at the last checkpoint, whether that checkpoint moved the whole log, what the last report said. */
let seen = -1;
let posted = -1;
let whole = true;

function checkpoint(db: Database) {
  try {
    // Another connection's commit changes data_version: with none since a whole checkpoint, there is nothing to do.
    const version = db.query<{ data_version: number }, []>("PRAGMA data_version").all()[0]!.data_version; // all(): get() would leave the statement, and its read lock, open
    if (version === seen && whole) return;
    // PASSIVE takes no lock a writer waits on: it copies what no reader still needs, the rest at a later call.
    const report = db.query<CheckpointReport & { busy: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").all()[0]!;
    if (report.busy) return; // another checkpoint ran (the writer's own, after a delete: db/wal.ts)
    const news = version !== seen || report.checkpointed !== posted;
    seen = version;
    whole = report.checkpointed === report.log;
    if (!news || report.log === 0) return; // nothing moved (an empty log after a restart)
    posted = report.checkpointed;
    self.postMessage({ log: report.log, checkpointed: report.checkpointed } satisfies CheckpointerReply);
  } catch (error) {
    self.postMessage({ error: String(error) } satisfies CheckpointerReply);
  }
}

self.onmessage = ({ data }: MessageEvent<CheckpointerRequest>) => {
  if ("close" in data) {
    clearInterval(timer);
    database?.close();
    process.exit(0); // in a worker: this worker only
  }
  database = new Database(data.path, { strict: true });
  database.run("PRAGMA busy_timeout = 5000");
  const db = database;
  timer = setInterval(() => checkpoint(db), data.intervalMs);
};
