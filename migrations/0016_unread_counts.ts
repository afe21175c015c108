import { sql, type Kysely } from "kysely";
import { isPostgres } from "../src/db/dialect";

// Unread counts without counting: a conversation list costs a row read per conversation however many messages are
// unread (counting walked the index: a second for a million), and a send still writes O(1) rows whatever the room's
// size. Unread = live_messages − read_live − own_after_read:
//   conversations.live_messages           its messages that are not tombstones;
//   conversation_members.read_live        of those, the ones at or before the member's last-read one;
//   conversation_members.own_after_read   of those after it, the member's own.
// Triggers keep them through every way a message comes or goes (sends, imports, tombstones, retention, deleted
// accounts, cascades); a marker's move or a new membership counts its two afresh, from the marker on.
const liveAfterText = (member: string, own: boolean) =>
  `(SELECT count(*) FROM messages m WHERE m.conversation_id = ${member}.conversation_id
    AND m.id > coalesce(${member}.last_read_message_id, 0) AND m.deleted_at IS NULL${own ? ` AND m.sender_id = ${member}.user_id` : ""})`;
const liveAfter = (member: string, own: boolean) => sql.raw(liveAfterText(member, own));
const readLive = (member: string) =>
  sql.raw(`(SELECT live_messages FROM conversations c WHERE c.id = ${member}.conversation_id) - ${liveAfterText(member, false)}`);

/** The statements a message's arrival (+ 1) or departure (- 1) runs, `row` being NEW or OLD. */
const follow = (row: string, sign: "+" | "-") =>
  sql.raw(`UPDATE conversations SET live_messages = live_messages ${sign} 1 WHERE id = ${row}.conversation_id;
    UPDATE conversation_members SET read_live = read_live ${sign} 1
      WHERE conversation_id = ${row}.conversation_id AND last_read_message_id >= ${row}.id;
    UPDATE conversation_members SET own_after_read = own_after_read ${sign} 1
      WHERE conversation_id = ${row}.conversation_id AND user_id = ${row}.sender_id AND coalesce(last_read_message_id, 0) < ${row}.id;`);

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("conversations")
    .addColumn("live_messages", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  for (const column of ["read_live", "own_after_read"])
    await db.schema
      .alterTable("conversation_members")
      .addColumn(column, "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  // Who read past a new message: found by a range of this index, not a walk of the members.
  await db.schema.createIndex("conversation_members_last_read").on("conversation_members").columns(["conversation_id", "last_read_message_id"]).execute();
  await sql`UPDATE conversations SET live_messages = (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.deleted_at IS NULL)`.execute(
    db,
  );
  await sql`UPDATE conversation_members SET read_live = ${readLive("conversation_members")}, own_after_read = ${liveAfter("conversation_members", true)}`.execute(
    db,
  );
  if (isPostgres(db)) {
    await sql`CREATE FUNCTION parley_unread_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.deleted_at IS NULL THEN ${follow("NEW", "+")} END IF;
        ELSIF OLD.deleted_at IS NULL AND (TG_OP = 'DELETE' OR NEW.deleted_at IS NOT NULL) THEN ${follow("OLD", "-")}
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER messages_unread AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON messages
      FOR EACH ROW EXECUTE FUNCTION parley_unread_on_message()`.execute(db);
    await sql`CREATE FUNCTION parley_unread_recount() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.read_live := ${readLive("NEW")};
        NEW.own_after_read := ${liveAfter("NEW", true)};
        RETURN NEW;
      END $$`.execute(db);
    await sql`CREATE TRIGGER conversation_members_unread BEFORE INSERT OR UPDATE OF last_read_message_id ON conversation_members
      FOR EACH ROW EXECUTE FUNCTION parley_unread_recount()`.execute(db);
    return;
  }
  await sql`CREATE TRIGGER messages_unread_insert AFTER INSERT ON messages WHEN NEW.deleted_at IS NULL BEGIN ${follow("NEW", "+")} END`.execute(db);
  await sql`CREATE TRIGGER messages_unread_tombstone AFTER UPDATE OF deleted_at ON messages
    WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL BEGIN ${follow("OLD", "-")} END`.execute(db);
  await sql`CREATE TRIGGER messages_unread_delete AFTER DELETE ON messages WHEN OLD.deleted_at IS NULL BEGIN ${follow("OLD", "-")} END`.execute(db);
  for (const [name, event] of [
    ["conversation_members_unread_insert", "INSERT"],
    ["conversation_members_unread_read", "UPDATE OF last_read_message_id"],
  ] as const)
    await sql`CREATE TRIGGER ${sql.raw(name)} AFTER ${sql.raw(event)} ON conversation_members BEGIN
        UPDATE conversation_members SET read_live = ${readLive("NEW")}, own_after_read = ${liveAfter("NEW", true)}
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
  await db.schema.dropIndex("conversation_members_last_read").execute();
  for (const column of ["read_live", "own_after_read"]) await db.schema.alterTable("conversation_members").dropColumn(column).execute();
  await db.schema.alterTable("conversations").dropColumn("live_messages").execute();
}
