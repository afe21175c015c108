import type { Kysely } from "kysely";

// A deleted message keeps its row (and so the history's order) with its text and file gone: a tombstone.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("messages").addColumn("deleted_at", "bigint").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("messages").dropColumn("deleted_at").execute();
}
