// Raising a table's id sequence past ids inserted explicitly (imports and copies keep their source's ids): SQLite's
// AUTOINCREMENT keeps the highest id ever handed out in sqlite_sequence; PostgreSQL's identity columns have a sequence.
import { sql } from "kysely";
import { isKysely, type Connection } from "./prepared";

/** Makes the next id of `table` at least `above + 1` and above every id in it (never lowers it). Inside the caller's transaction. */
export async function raiseSequence(connection: Connection, table: string, above: number): Promise<void> {
  if (isKysely(connection)) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), greatest(${above}::bigint, (select coalesce(max(id), 0) from ${sql.table(table)}), nextval(pg_get_serial_sequence(${table}, 'id'))))`.execute(
      connection,
    );
    return;
  }
  const updated = connection.run("UPDATE sqlite_sequence SET seq = ?1 WHERE name = ?2 AND seq < ?1", [above, table]);
  if (updated.changes === 0 && !connection.query("SELECT 1 FROM sqlite_sequence WHERE name = ?1").get(table)) {
    connection.run("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)", [table, above]);
  }
}
