// Every query of Web Push: subscriptions kept per user, and who among a message's recipients can be pushed to.
import type { Insertable } from "kysely";
import type { Db } from "../../db";
import type { PushSubscriptionTable } from "../../db/schema";
import { prepared, sqlBuilder, type Connection } from "../../db/prepared";

/** Stores the subscription (a known endpoint changes hands and keys: one browser, one row); true when it is new. */
export async function saveSubscription(db: Db, row: Required<Omit<Insertable<PushSubscriptionTable>, "id">>): Promise<{ id: number; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const known = await trx.selectFrom("push_subscriptions").select("id").where("endpoint", "=", row.endpoint).executeTakeFirst();
    const { id } = await trx
      .insertInto("push_subscriptions")
      .values(row)
      .onConflict((conflict) =>
        conflict
          .column("endpoint")
          .doUpdateSet({ user_id: row.user_id, p256dh: row.p256dh, auth: row.auth, generation: row.generation, created_at: row.created_at }),
      )
      .returning("id")
      .executeTakeFirstOrThrow();
    return { id: Number(id), created: !known };
  });
}

/** Deletes the user's subscriptions beyond the newest `keep`; how many went. */
export async function evictOldest(db: Db, userId: number, keep: number): Promise<number> {
  const stale = await db
    .selectFrom("push_subscriptions")
    .select("id")
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .offset(keep)
    .limit(1_000)
    .execute();
  if (stale.length === 0) return 0;
  const result = await db
    .deleteFrom("push_subscriptions")
    .where(
      "id",
      "in",
      stale.map((row) => row.id),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteSubscription(db: Db, userId: number, endpoint: string): Promise<void> {
  await db.deleteFrom("push_subscriptions").where("user_id", "=", userId).where("endpoint", "=", endpoint).execute();
}

/** Removes a subscription the push service reported gone (or whose owner's sessions ended), if still the same one. */
export async function removeSubscription(db: Db, id: number, endpoint: string): Promise<void> {
  await db.deleteFrom("push_subscriptions").where("id", "=", id).where("endpoint", "=", endpoint).execute();
}

export interface PushTarget {
  id: number;
  user_id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  muted: number;
  /** The owner's token generation when they subscribed, and now: once they differ their sessions ended (log out everywhere, a new password), and so did the subscription. */
  generation: number;
  token_generation: number;
}

/** The subscriptions of `userId`, if they are an active member of the conversation, with their mute. */
export function pushTargets(reader: Connection, conversationId: number, userId: number): Promise<PushTarget[]> {
  return targetsOf.run(reader, conversationId, userId);
}

const targetsOf = prepared((conversationId: number, userId: number) =>
  sqlBuilder
    .selectFrom("push_subscriptions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .innerJoin("conversation_members as m", (join) => join.onRef("m.user_id", "=", "s.user_id").on("m.conversation_id", "=", conversationId))
    .select(["s.id", "s.user_id", "s.endpoint", "s.p256dh", "s.auth", "m.muted"])
    .select(["s.generation", "u.token_generation"])
    .where("s.user_id", "=", userId)
    .where("u.is_active", "=", 1),
);

/** How a sender is named in a notification: their first and last name, or their username. */
export async function senderName(reader: Connection, userId: number): Promise<string | null> {
  const [row] = await namesOf.run(reader, userId);
  if (!row) return null;
  return `${row.first_name} ${row.last_name}`.trim() || row.username;
}

const namesOf = prepared((userId: number) => sqlBuilder.selectFrom("users").select(["username", "first_name", "last_name"]).where("id", "=", userId));
