// SQLite-only: opening someone's database file to read it without writing anything, not even beside it.
import { Database, constants } from "bun:sqlite";
import { closeSync, existsSync, openSync, readSync } from "node:fs";

/** Whether the file's header says WAL mode (bytes 18-19 are 2, not 1). */
function isWalMode(path: string): boolean {
  const header = Buffer.alloc(20);
  const fd = openSync(path, "r");
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  return header[18] === 2 && header[19] === 2;
}

/**
 * A read-only connection. A plain read-only open of a WAL database creates its -wal and -shm files; when
 * there is no -wal file (nothing uncheckpointed, no writer open) it is opened immutable instead, which
 * writes nothing. A rollback-journal database (Django's default) is opened read-only with normal locking.
 */
export function openReadOnly(path: string): Database {
  if (existsSync(`${path}-wal`) || !isWalMode(path)) return new Database(path, { readonly: true, strict: true });
  const uri = `file:${path.split("/").map(encodeURIComponent).join("/")}?immutable=1`;
  return new Database(uri, constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI); // flags, not options: the URI needs OPEN_URI
}
