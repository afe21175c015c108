// The soak's data dir, filled by direct SQL (seconds, where registering 10,000 users through the API would take
// minutes of password hashing): users 1..n, each in one group of 10 and one direct conversation, and users 1..2,000
// in two groups of 1,000.
import { Database } from "bun:sqlite";
import { fillDataDir } from "../bench/fill";

export interface SoakData {
  directs: number[];
  smallGroups: number[];
  bigGroups: number[];
  members(conversation: number): number[];
  conversationsOf(user: number): number[];
}

export async function fillSoakData(dataDir: string, users: number): Promise<SoakData> {
  const big = Math.min(2, Math.floor(users / 1000));
  const groups = [
    ...Array.from({ length: Math.floor(users / 10) }, (_, i) => ({ members: 10, firstMember: 1 + i * 10, messages: 2 })),
    ...Array.from({ length: big }, (_, i) => ({ members: 1000, firstMember: 1 + i * 1000, messages: 2 })),
  ];
  const ids = await fillDataDir(dataDir, { users, groups });
  const members = new Map<number, number[]>();
  const of = new Map<number, number[]>();
  const join = (conversation: number, user: number) => {
    members.set(conversation, [...(members.get(conversation) ?? []), user]);
    of.set(user, [...(of.get(user) ?? []), conversation]);
  };
  groups.forEach((group, i) => {
    for (let u = group.firstMember; u < group.firstMember + group.members; u++) join(ids[i]!, u);
  });
  const db = new Database(`${dataDir}/parley.db`);
  const insertDirect = db.prepare("INSERT INTO conversations (kind, direct_key, created_by, created_at) VALUES ('direct', ?1, ?2, ?3) RETURNING id");
  const insertMember = db.prepare("INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) VALUES (?1, ?2, 'member', ?3)");
  const directs: number[] = [];
  const now = Date.now();
  db.transaction(() => {
    for (let a = 1; a + 1 <= users; a += 2) {
      const { id } = insertDirect.get(`${a}:${a + 1}`, a, now) as { id: number };
      insertMember.run(id, a, now);
      insertMember.run(id, a + 1, now);
      join(id, a);
      join(id, a + 1);
      directs.push(id);
    }
  })();
  db.close();
  return {
    directs,
    smallGroups: ids.slice(0, groups.length - big),
    bigGroups: ids.slice(groups.length - big),
    members: (conversation) => members.get(conversation) ?? [],
    conversationsOf: (user) => of.get(user) ?? [],
  };
}
