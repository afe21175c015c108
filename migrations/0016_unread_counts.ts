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

/** `follow` for every live row of a statement's transition table `rows` at once (PostgreSQL), grouped per row to update. */
const followRows = (rows: string, sign: "+" | "-") =>
  sql.raw(`UPDATE conversations c SET live_messages = c.live_messages ${sign} n.k
      FROM (SELECT conversation_id, count(*) AS k FROM ${rows} WHERE deleted_at IS NULL GROUP BY conversation_id) n
      WHERE c.id = n.conversation_id;
    UPDATE conversation_members cm SET read_live = cm.read_live ${sign} n.k
      FROM (SELECT mb.conversation_id, mb.user_id, count(*) AS k FROM ${rows} m
            JOIN conversation_members mb ON mb.conversation_id = m.conversation_id AND mb.last_read_message_id >= m.id
            WHERE m.deleted_at IS NULL GROUP BY mb.conversation_id, mb.user_id) n
      WHERE cm.conversation_id = n.conversation_id AND cm.user_id = n.user_id;
    UPDATE conversation_members cm SET own_after_read = cm.own_after_read ${sign} n.k
      FROM (SELECT mb.conversation_id, mb.user_id, count(*) AS k FROM ${rows} m
            JOIN conversation_members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = m.sender_id
              AND coalesce(mb.last_read_message_id, 0) < m.id
            WHERE m.deleted_at IS NULL GROUP BY mb.conversation_id, mb.user_id) n
      WHERE cm.conversation_id = n.conversation_id AND cm.user_id = n.user_id;`);

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
    // Inserts and deletes by statement, over their transition table: a group commit's multi-row insert (or an import,
    // or retention) updates each conversation once, not once per row (PostgreSQL keeps every version of a row updated
    // many times in one transaction: 200,000 rows took minutes). A tombstone is an UPDATE OF deleted_at, by row (a
    // column list allows no transition table).
    for (const [event, table, sign] of [
      ["INSERT", "NEW", "+"],
      ["DELETE", "OLD", "-"],
    ] as const) {
      const name = `parley_unread_on_${event.toLowerCase()}`;
      await sql`CREATE FUNCTION ${sql.raw(name)}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN ${followRows("changed", sign)} RETURN NULL; END $$`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`messages_unread_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON messages
        REFERENCING ${sql.raw(table)} TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ${sql.raw(name)}()`.execute(db);
    }
    await sql`CREATE FUNCTION parley_unread_on_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN ${follow("OLD", "-")} END IF;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER messages_unread_tombstone AFTER UPDATE OF deleted_at ON messages
      FOR EACH ROW EXECUTE FUNCTION parley_unread_on_tombstone()`.execute(db);
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
    for (const event of ["insert", "delete", "tombstone"]) {
      await sql`DROP TRIGGER ${sql.raw(`messages_unread_${event}`)} ON messages`.execute(db);
      await sql`DROP FUNCTION ${sql.raw(`parley_unread_on_${event}`)}()`.execute(db);
    }
    await sql`DROP FUNCTION parley_unread_recount()`.execute(db);
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
