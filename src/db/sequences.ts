// Raising a table's id sequence past ids inserted explicitly (imports and copies keep their source's ids): SQLite's
// AUTOINCREMENT keeps the highest id ever handed out in sqlite_sequence; PostgreSQL's identity columns have a sequence.
import { sql } from "kysely";
import { isKysely, type Connection } from "./prepared";

/**
 * Makes the next id of `table` (its `column`) at least `above + 1` and above every id in it (never lowers it).
 * Inside the caller's transaction.
 */
export async function raiseSequence(connection: Connection, table: string, above: number, column = "id"): Promise<void> {
  if (isKysely(connection)) {
    const sequence = sql`pg_get_serial_sequence(${table}, ${column})`;
    await sql`select setval(${sequence}, greatest(${above}::bigint, (select coalesce(max(${sql.ref(column)}), 0) from ${sql.table(table)}), nextval(${sequence})))`.execute(
      connection,
    );
    return;
  }
  const updated = connection.run("UPDATE sqlite_sequence SET seq = ?1 WHERE name = ?2 AND seq < ?1", [above, table]);
  if (updated.changes === 0 && !connection.query("SELECT 1 FROM sqlite_sequence WHERE name = ?1").get(table)) {
    connection.run("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)", [table, above]);
  }
}
