// SQLite-only: AUTOINCREMENT keeps the highest id ever handed out per table in sqlite_sequence.
import type { Database as SqliteDatabase } from "bun:sqlite";

/** Makes the next AUTOINCREMENT id of `table` at least `above + 1` (never lowers it). Inside the caller's transaction. */
export function raiseSequence(sqlite: SqliteDatabase, table: string, above: number): void {
  const updated = sqlite.run("UPDATE sqlite_sequence SET seq = ?1 WHERE name = ?2 AND seq < ?1", [above, table]);
  if (updated.changes === 0 && !sqlite.query("SELECT 1 FROM sqlite_sequence WHERE name = ?1").get(table)) {
    sqlite.run("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)", [table, above]);
  }
}

