import { sql, type Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";

// Each member's unread count, kept in their membership row by triggers, so a conversation list costs one row read per
// conversation however many messages are unread (counting them walked the index: a second for a million). Unread: others'
// live messages after the member's last-read one. Every way a message comes, goes or is tombstoned (sends, imports,
// retention, deleted accounts) and every move of a marker passes through these triggers; a marker's move or a new
// membership counts afresh, from the marker on.
const recount = (member: string) =>
  sql.raw(`(SELECT count(*) FROM messages m WHERE m.conversation_id = ${member}.conversation_id
  AND m.id > coalesce(${member}.last_read_message_id, 0) AND m.sender_id <> ${member}.user_id AND m.deleted_at IS NULL)`);
const others = (message: string) =>
  sql.raw(`conversation_id = ${message}.conversation_id AND user_id <> ${message}.sender_id AND coalesce(last_read_message_id, 0) < ${message}.id`);

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("conversation_members")
    .addColumn("unread_count", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`UPDATE conversation_members SET unread_count = ${recount("conversation_members")}`.execute(db);
  if (isPostgres(db)) {
    await sql`CREATE FUNCTION parley_unread_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.deleted_at IS NULL THEN
            UPDATE conversation_members SET unread_count = unread_count + 1 WHERE ${others("NEW")};
          END IF;
        ELSIF OLD.deleted_at IS NULL AND (TG_OP = 'DELETE' OR NEW.deleted_at IS NOT NULL) THEN
          UPDATE conversation_members SET unread_count = unread_count - 1 WHERE ${others("OLD")};
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER messages_unread AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON messages
      FOR EACH ROW EXECUTE FUNCTION parley_unread_on_message()`.execute(db);
    await sql`CREATE FUNCTION parley_unread_recount() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.unread_count := ${recount("NEW")};
        RETURN NEW;
      END $$`.execute(db);
    await sql`CREATE TRIGGER conversation_members_unread BEFORE INSERT OR UPDATE OF last_read_message_id ON conversation_members
      FOR EACH ROW EXECUTE FUNCTION parley_unread_recount()`.execute(db);
    return;
  }
  await sql`CREATE TRIGGER messages_unread_insert AFTER INSERT ON messages WHEN NEW.deleted_at IS NULL BEGIN
      UPDATE conversation_members SET unread_count = unread_count + 1 WHERE ${others("NEW")};
    END`.execute(db);
  await sql`CREATE TRIGGER messages_unread_tombstone AFTER UPDATE OF deleted_at ON messages
    WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL BEGIN
      UPDATE conversation_members SET unread_count = unread_count - 1 WHERE ${others("OLD")};
    END`.execute(db);
  await sql`CREATE TRIGGER messages_unread_delete AFTER DELETE ON messages WHEN OLD.deleted_at IS NULL BEGIN
      UPDATE conversation_members SET unread_count = unread_count - 1 WHERE ${others("OLD")};
    END`.execute(db);
  for (const [name, event] of [
    ["conversation_members_unread_insert", "INSERT"],
    ["conversation_members_unread_read", "UPDATE OF last_read_message_id"],
  ] as const)
    await sql`CREATE TRIGGER ${sql.raw(name)} AFTER ${sql.raw(event)} ON conversation_members BEGIN
        UPDATE conversation_members SET unread_count = ${recount("NEW")}
        WHERE conversation_id = NEW.conversation_id AND user_id = NEW.user_id;
      END`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`DROP TRIGGER conversation_members_unread ON conversation_members`.execute(db);
    await sql`DROP TRIGGER messages_unread ON messages`.execute(db);
    await sql`DROP FUNCTION parley_unread_recount()`.execute(db);
    await sql`DROP FUNCTION parley_unread_on_message()`.execute(db);
  } else {
    for (const name of [
      "messages_unread_insert",
      "messages_unread_tombstone",
      "messages_unread_delete",
      "conversation_members_unread_insert",
      "conversation_members_unread_read",
    ])
      await sql`DROP TRIGGER ${sql.raw(name)}`.execute(db);
  }
  await db.schema.alterTable("conversation_members").dropColumn("unread_count").execute();
}
