// The migrations on PostgreSQL, through Bun's SQL client: every one up, rows in and out with numbers for ids and
// times, and every one down again. Needs a PostgreSQL server (PARLEY_TEST_POSTGRES_URL, by default the local one);
// without one the tests are skipped and say why (failed under PARLEY_TEST_REQUIRE_SERVICES=1).
import { SQL } from "bun";
import { afterAll, describe, expect, test } from "bun:test";
import { Kysely, Migrator, NO_MIGRATIONS, sql } from "kysely";
import { migrations } from "../../migrations";
import { migrateToLatest } from "../../src/db";
import { isPostgres, isUniqueViolation } from "../../src/db/dialect";
import { BunPostgresDialect } from "../../src/db/postgres-dialect";
import { prepared, sqlBuilder } from "../../src/db/prepared";
import type { Database } from "../../src/db/schema";
import { skipWithout } from "../test-services";

const ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function unreachable(): Promise<string | null> {
  const client = new SQL(ADMIN_URL, { max: 1, connectionTimeout: 3 });
  try {
    await client`select 1`;
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.close().catch(() => undefined);
  }
}

const problem = await unreachable();

describe.skipIf(skipWithout("PostgreSQL tests", problem && `no PostgreSQL at ${ADMIN_URL} (${problem}). Set PARLEY_TEST_POSTGRES_URL to run them.`))(
  "migrations on PostgreSQL",
  () => {
    const name = `parley_test_${process.pid}_${Date.now()}`;
    const admin = new SQL(ADMIN_URL, { max: 1 });
    let db: Kysely<Database>;

    afterAll(async () => {
      await db?.destroy();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    }, 30_000); // DROP DATABASE ... WITH (FORCE) waits for PostgreSQL, which a busy machine makes slow

    test("all migrations apply, the schema holds rows with numeric ids and times, and all roll back", async () => {
      await admin.unsafe(`CREATE DATABASE ${name}`);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      db = new Kysely<Database>({ dialect: new BunPostgresDialect(new SQL(url.toString(), { max: 4 })) });
      expect(isPostgres(db)).toBe(true);

      const { results = [] } = await migrateToLatest(db);
      expect(results.map((r) => [r.migrationName, r.status])).toEqual(Object.keys(migrations).map((m) => [m, "Success"]));

      const now = Date.now();
      const user = await db
        .insertInto("users")
        .values({
          username: "pg",
          username_key: "pg",
          email: "pg@example.com",
          first_name: "",
          last_name: "",
          password_hash: "x",
          is_active: 1,
          is_staff: 0,
          is_superuser: 0,
          date_joined: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      expect(user).toMatchObject({ id: 1, date_joined: now, token_generation: 0 });
      const conversation = await db
        .insertInto("conversations")
        .values({ kind: "group", name: "g", name_key: "g", direct_key: null, created_by: user.id, created_at: now, private: 0 })
        .returning("id")
        .executeTakeFirstOrThrow();
      const message = await db
        .insertInto("messages")
        .values({ conversation_id: conversation.id, sender_id: user.id, body: "héllo 北京", file_id: null, created_at: now, client_id: null })
        .returning(["id", "created_at", "reply_count", "pinned_at"])
        .executeTakeFirstOrThrow();
      expect(message).toEqual({ id: 1, created_at: now, reply_count: 0, pinned_at: null });
      const event = await db
        .insertInto("events")
        .values({
          conversation_id: conversation.id,
          type: "message.created",
          data: JSON.stringify({ id: message.id }),
          created_at: now,
          message_id: message.id,
        })
        .returning("seq")
        .executeTakeFirstOrThrow();
      expect(event.seq).toBe(1);
      const counted = await db
        .selectFrom("messages")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(counted.n).toBe(1); // int8 arrives as a number, as from SQLite
      // Ids that grow with traffic are 64-bit, as SQLite's are: PostgreSQL's integer would run out at 2^31 events.
      const { rows: types } = await sql<{ column: string; type: string }>`
      select table_name || '.' || column_name as column, data_type as type from information_schema.columns
       where (table_name, column_name) in (('messages', 'id'), ('events', 'seq'), ('files', 'id'), ('messages', 'reply_to_id'), ('events', 'message_id'))
       order by 1`.execute(db);
      expect(types).toEqual(
        ["events.message_id", "events.seq", "files.id", "messages.id", "messages.reply_to_id"].map((column) => ({ column, type: "bigint" })),
      );

      // A query prepared once runs on both databases: compiled for each on first use ($1 placeholders here).
      const newest = prepared((conversationId: number, limit: number) =>
        sqlBuilder.selectFrom("messages").select(["id", "body"]).where("conversation_id", "=", conversationId).orderBy("id", "desc").limit(limit),
      );
      expect(await newest.run(db, conversation.id, 10)).toEqual([{ id: 1, body: "héllo 北京" }]);
      expect(await newest.run(db, conversation.id + 1, 10)).toEqual([]);

      // A duplicate is recognised as such on PostgreSQL as on SQLite (the services turn it into a 400 naming the field).
      const duplicate = await db
        .insertInto("users")
        .values({ ...user, id: undefined as never, email: "other@example.com" })
        .execute()
        .catch((error) => error);
      expect(isUniqueViolation(duplicate, "users", ["username_key"])).toBe(true);
      expect(isUniqueViolation(duplicate, "users", ["email"])).toBe(false);

      // A failed statement caught inside a transaction must not let COMMIT pass for success.
      await expect(
        db.transaction().execute(async (trx) => {
          await trx
            .insertInto("users")
            .values({ ...user, id: undefined as never })
            .execute()
            .catch(() => undefined); // duplicate email
        }),
      ).rejects.toThrow(/COMMIT rolled back/);

      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      const down = await migrator.migrateTo(NO_MIGRATIONS);
      expect(down.error).toBeUndefined();
      const tables = await db
        .selectFrom("information_schema.tables" as never)
        .select("table_name" as never)
        .where("table_schema" as never, "=", "public" as never)
        .execute();
      expect((tables as { table_name: string }[]).map((t) => t.table_name).filter((t) => !t.startsWith("kysely_"))).toEqual([]);
    });
  },
);
