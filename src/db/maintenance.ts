// Database chores outside any request: a liveness ping, planner statistics, and the one-sweeper-at-a-time lock.
import { sql } from "kysely";
import type { Db } from ".";

/** Throws unless the writer answers. */
export async function pingWriter(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

/** Keeps SQLite's query planner statistics fresh (cheap when nothing changed); PostgreSQL's autovacuum does this. */
export async function optimizeSqlite(db: Db): Promise<void> {
  await sql`PRAGMA optimize`.execute(db);
}

const HOUSEKEEPING_LOCK = 0x70617273; // "pars"

/**
 * On PostgreSQL several nodes share the database: one at a time sweeps it (the others find the lock taken and skip
 * this round), so nothing expires twice or is announced twice. The lock is held by a transaction left open while
 * the sweep runs on other connections, and released with it — also when the node dies.
 */
export async function asTheOnlySweeper(db: Db, sweep: () => Promise<void>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ taken: boolean }>`select pg_try_advisory_xact_lock(${HOUSEKEEPING_LOCK}) as taken`.execute(trx);
    if (rows[0]?.taken) await sweep();
  });
}
