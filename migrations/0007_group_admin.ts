import type { Kysely } from "kysely";

// Group administration: a group is open (anyone may join, as in the original) or private (members are added by
// its owners and admins). Roles need no schema change: conversation_members.role now also holds "admin".
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("conversations")
    .addColumn("private", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("conversations").dropColumn("private").execute();
}
