// Reading the original Django server's SQLite database, read-only. Its tables are the original's models:
// authentication_customuser, chat_group (+ chat_group_members) and chat_message.
import type { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { openReadOnly } from "../../db/read-only";
import { ImportError } from "./report";

export interface DjangoUser {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  password: string;
  is_active: number;
  is_staff: number;
  is_superuser: number;
  date_joined: string;
}

export interface DjangoGroup {
  id: number;
  name: string;
}

export interface DjangoMembership {
  id: number;
  group_id: number;
  user_id: number;
}

export interface DjangoMessage {
  id: number;
  message: string | null;
  file: string | null;
  timestamp: string;
  receiver_user_id: number | null;
  receiver_group_id: number | null;
  sender_id: number;
  file_expiry: string | null;
}

/** The columns the import reads, per table: a database without them is not the original's. */
const REQUIRED: Record<string, string[]> = {
  authentication_customuser: ["id", "username", "email", "first_name", "last_name", "password", "is_active", "is_staff", "is_superuser", "date_joined"],
  chat_group: ["id", "name"],
  chat_group_members: ["id", "group_id", "customuser_id"],
  chat_message: ["id", "message", "file", "timestamp", "receiver_user_id", "receiver_group_id", "sender_id", "file_expiry"],
};

export class DjangoSource {
  private constructor(private readonly sqlite: Database) {}

  /** Opens the file read-only (never written to) and checks it holds the original's tables. */
  static open(path: string): DjangoSource {
    if (!existsSync(path) || !statSync(path).isFile()) throw new ImportError("usage", `--db ${path}: no such file`);
    let sqlite: Database;
    try {
      sqlite = openReadOnly(path);
      sqlite.run("PRAGMA query_only = ON");
    } catch (error) {
      throw new ImportError("usage", `--db ${path}: cannot open it as SQLite (${(error as Error).message})`);
    }
    const source = new DjangoSource(sqlite);
    try {
      source.checkSchema(path);
      // One read transaction for the whole import: every read sees the same snapshot.
      sqlite.run("BEGIN");
    } catch (error) {
      sqlite.close();
      if (error instanceof ImportError) throw error;
      throw new ImportError("usage", `--db ${path}: cannot read it (${(error as Error).message})`);
    }
    return source;
  }

  private checkSchema(path: string) {
    for (const [table, columns] of Object.entries(REQUIRED)) {
      const present = new Set(
        this.sqlite
          .query<{ name: string }, [string]>("SELECT name FROM pragma_table_info(?)")
          .all(table)
          .map((c) => c.name),
      );
      if (present.size === 0) throw new ImportError("usage", `--db ${path} is not a database of the original chat server: it has no ${table} table`);
      const missing = columns.filter((c) => !present.has(c));
      if (missing.length)
        throw new ImportError("usage", `--db ${path}: table ${table} lacks column(s) ${missing.join(", ")}; is it the original chat server's database?`);
    }
  }

  users(): DjangoUser[] {
    return this.sqlite
      .query<DjangoUser, []>(
        "SELECT id, username, email, first_name, last_name, password, is_active, is_staff, is_superuser, CAST(date_joined AS TEXT) AS date_joined FROM authentication_customuser ORDER BY id",
      )
      .all();
  }

  groups(): DjangoGroup[] {
    return this.sqlite.query<DjangoGroup, []>("SELECT id, name FROM chat_group ORDER BY id").all();
  }

  /** Memberships in the order they were made (row id): in the original, a group's creator joined it first. */
  memberships(): DjangoMembership[] {
    return this.sqlite.query<DjangoMembership, []>("SELECT id, group_id, customuser_id AS user_id FROM chat_group_members ORDER BY id").all();
  }

  /** Every message in id order, one at a time (the table may be large). */
  *messages(): Generator<DjangoMessage> {
    yield* this.sqlite
      .query<DjangoMessage, []>(
        `SELECT id, message, file, CAST(timestamp AS TEXT) AS timestamp, receiver_user_id, receiver_group_id, sender_id,
                CAST(file_expiry AS TEXT) AS file_expiry
         FROM chat_message ORDER BY id`,
      )
      .iterate();
  }

  /** The highest id the original ever handed out per table (deleted rows included), from sqlite_sequence. */
  sequence(table: string): number {
    const hasSequences = this.sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get();
    if (!hasSequences) return 0;
    return this.sqlite.query<{ seq: number }, [string]>("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table)?.seq ?? 0;
  }

  close() {
    if (this.sqlite.inTransaction) this.sqlite.run("ROLLBACK"); // only a read transaction: nothing to undo
    this.sqlite.close();
  }
}

/**
 * Milliseconds since the epoch from Django's stored UTC text ("2025-01-01 09:01:00.123456", with USE_TZ the
 * SQLite backend writes UTC without an offset). Parley keeps milliseconds: further digits are dropped
 * (`truncated`), so the ISO time shown is the original's with its last three digits cut.
 */
export function parseDjangoTime(text: string | null): { ms: number; truncated: boolean } | null {
  if (text === null) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s = "0", fraction = "", offset] = match;
  const fractionMs = Number(fraction.slice(0, 3).padEnd(3, "0"));
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), fractionMs);
  if (offset && offset !== "Z") {
    const sign = offset.startsWith("-") ? -1 : 1;
    const digits = offset.slice(1).replace(":", "");
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (Number.isNaN(ms) || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return { ms, truncated: /[1-9]/.test(fraction.slice(3)) };
}
