// Fills a Parley data dir directly with SQL (fast): users user1..userN, and groups whose members are
// users 1..members, each holding `messages` messages. Returns the group ids in order.
import { Database } from "bun:sqlite";
import { migrateToLatest, openDatabase } from "../../src/db";
import { SEARCH_INDEXES, indexPendingMessages, mergeSearchIndexStep } from "../../src/db/search-sqlite";

export interface FillPlan {
  users: number;
  groups: { members: number; messages?: number; firstMember?: number; text?: (index: number) => string }[];
}

export async function fillDataDir(dataDir: string, plan: FillPlan): Promise<number[]> {
  const handle = openDatabase(dataDir);
  await migrateToLatest(handle.db);
  await handle.close();
  const db = new Database(`${dataDir}/parley.db`);
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = OFF");
  const now = Date.now();
  const insertUser = db.prepare("INSERT INTO users (username, username_key, email, password_hash, date_joined) VALUES (?1, ?1, ?2, 'x', ?3)");
  const insertGroup = db.prepare("INSERT INTO conversations (kind, name, name_key, created_by, created_at) VALUES ('group', ?1, ?1, ?2, ?3) RETURNING id");
  const insertMember = db.prepare("INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) VALUES (?1, ?2, ?3, ?4)");
  const insertMessage = db.prepare("INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES (?1, ?2, ?3, ?4)");
  const ids: number[] = [];
  db.transaction(() => {
    for (let i = 1; i <= plan.users; i++) insertUser.run(`user${i}`, `user${i}@bench.test`, now);
    plan.groups.forEach((group, index) => {
      const first = group.firstMember ?? 1;
      const { id } = insertGroup.get(`group${index}`, first, now) as { id: number };
      for (let u = first; u < first + group.members; u++) insertMember.run(id, u, u === first ? "owner" : "member", now);
      const count = group.messages ?? 0;
      const text = group.text ?? ((m: number) => `benchmark message number ${m} with a little text`);
      for (let m = 0; m < count; m++) insertMessage.run(id, first + (m % group.members), text(m), now - count + m);
      ids.push(id);
    });
  })();
  while (indexPendingMessages(db, 100_000) > 0); // what the server's indexer would do after start
  for (let i = 0, idle = 0; idle < SEARCH_INDEXES; i++) idle = mergeSearchIndexStep(db, i) ? 0 : idle + 1; // and the merges it does after that
  db.close();
  return ids;
}
