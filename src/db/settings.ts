// Server-wide values kept in the database (the settings table), so every node sharing it reads the same.
import type { Db } from ".";

/** The setting `name`: the first node to ask stores `initial()` (a concurrent second insert is ignored); every node reads the stored one. */
export async function sharedSetting(db: Db, name: string, initial: () => string): Promise<string> {
  await db
    .insertInto("settings")
    .values({ name, value: initial() })
    .onConflict((conflict) => conflict.column("name").doNothing())
    .execute();
  const row = await db.selectFrom("settings").select("value").where("name", "=", name).executeTakeFirstOrThrow();
  return row.value;
}
