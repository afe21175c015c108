// Moving an installation from SQLite onto PostgreSQL: every row of the data dir's parley.db copied into an empty,
// migrated PostgreSQL database in one transaction, ids and event seqs kept (clients resume where they were, links and
// tokens stay valid), the sequences raised past them. The uploads stay where they are, in the data dir.
import { Database as SqliteDatabase } from "bun:sqlite";
import { existsSync } from "node:fs";
import { sql } from "kysely";
import { databasePath, isMigrated, migrateToLatest, openPostgres, type Db } from ".";
import { raiseSequence } from "./sequences";

/**
 * The tables copied, parents before children (foreign keys hold at every insert), with the column their ids come
 * from. Everything else in parley.db is SQLite's own: the FTS5 tables, the search vocabulary and search_state
 * (PostgreSQL indexes message text itself), sqlite_sequence and Kysely's migration tables (the target has its own);
 * and ws_tickets, which live 30 seconds.
 */
export const COPIED_TABLES: Array<{ table: string; id: string | null; where?: string }> = [
  { table: "users", id: "id" },
  { table: "revoked_tokens", id: null },
  { table: "conversations", id: "id" },
  { table: "conversation_members", id: null },
  { table: "files", id: "id" },
  { table: "messages", id: "id" },
  { table: "message_mentions", id: null },
  { table: "events", id: "seq" },
  { table: "push_subscriptions", id: "id" },
  { table: "settings", id: null, where: "name <> 'cluster_id'" }, // a new database is a new cluster: it keeps (or makes) its own id
];

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH = 1_000;

export class CopyRefused extends Error {}

export interface CopyReport {
  rows: Record<string, number>;
}

/**
 * Copies the SQLite database of `dataDir` into the PostgreSQL database at `url`. The source is read in one read
 * transaction (a consistent snapshot even if a server is still writing; stop it first so nothing is written after).
 * `secret`: the signing secret the SQLite installation used, kept in the target so its tokens stay valid.
 */
export async function copySqliteToPostgres(dataDir: string, url: string, secret: string | null): Promise<CopyReport> {
  const path = databasePath(dataDir);
  if (!existsSync(path)) throw new CopyRefused(`no database at ${path}`);
  const source = new SqliteDatabase(path, { readonly: true, strict: true });
  const target = openPostgres(url, 2);
  try {
    if (!(await isMigrated(source))) throw new CopyRefused(`${path} is not migrated to this version; run parley migrate with the SQLite data dir first`);
    await migrateToLatest(target.db);
    source.run("BEGIN"); // one snapshot of every table
    const rows: Record<string, number> = {};
    await target.db.transaction().execute(async (trx) => {
      for (const table of ["users", "conversations", "messages", "events"]) {
        if (
          await trx
            .selectFrom(table as "users")
            .select(sql`1`.as("one"))
            .limit(1)
            .executeTakeFirst()
        ) {
          throw new CopyRefused(`the PostgreSQL database already has ${table}; copy only into an empty database`);
        }
      }
      for (const { table, id, where } of COPIED_TABLES) {
        rows[table] = await copyTable(source, trx, table, id, where);
        if (id) {
          const [{ top }] = source.query<{ top: number | null }, []>(`SELECT max(${id}) AS top FROM ${table}`).all() as [{ top: number | null }];
          await raiseSequence(trx, table, top ?? 0, id);
        }
      }
      if (secret)
        await trx
          .insertInto("settings")
          .values({ name: "jwt_secret", value: secret })
          .onConflict((c) => c.column("name").doUpdateSet({ value: secret }))
          .execute();
    });
    return { rows };
  } finally {
    if (source.inTransaction) source.run("ROLLBACK");
    source.close();
    await target.close();
  }
}

async function copyTable(source: SqliteDatabase, trx: Db, table: string, id: string | null, where?: string): Promise<number> {
  let copied = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length)
      await trx
        .insertInto(table as "users")
        .values(batch as never)
        .execute();
    copied += batch.length;
    batch = [];
  };
  for (const row of source.query(`SELECT * FROM ${table}${where ? ` WHERE ${where}` : ""}${id ? ` ORDER BY ${id}` : ""}`).iterate()) {
    batch.push(row as Record<string, unknown>);
    if (batch.length === BATCH) await flush();
  }
  await flush();
  return copied;
}
