// History paging: ?page=N (10 a page, newest first), ?before=<id> (newest first), ?after=<id> (oldest first), ?limit=1..100.
// A 57-message conversation, interleaved with another conversation's messages, walked every way: every id exactly once.
import { beforeAll, describe, expect, test } from "bun:test";
import { makeApp } from "../helpers";
import { createGroup, directWith, sendText, registerUsers } from "../chat-helpers";

const { api } = await makeApp();
const [alice, bob, carol] = await registerUsers(api, ["alice", "bob", "carol"]);
const group = await createGroup(api, alice, [bob.id]);
const other = await directWith(api, alice, carol);

const TOTAL = 57;
/** The group's message ids in the order they were sent (ascending). */
const groupIds: number[] = [];
const otherIds: number[] = [];

beforeAll(async () => {
  // Interleave: after every group message, sometimes one or two in the other conversation, so the group's ids have gaps.
  for (let i = 0; i < TOTAL; i++) {
    groupIds.push((await sendText(api, i % 3 ? alice : bob, group.id, `group message ${i}`)).id);
    for (let j = 0; j < i % 3; j++) otherIds.push((await sendText(api, j ? carol : alice, other, `other ${i}.${j}`)).id);
  }
});

type Page = { id: number; conversation_id: number; message: string }[];

async function history(query: string, token = bob.access): Promise<Page> {
  const response = await api("GET", `/api/messages/${group.id}/${query}`, { token });
  if (response.status !== 200) throw new Error(`${query}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Every id seen exactly once, in the expected order, none from the other conversation. */
function expectWalk(seen: number[], expected: number[]) {
  expect(seen.length).toBe(expected.length);
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen).toEqual(expected);
  for (const id of seen) expect(otherIds).not.toContain(id);
}

describe("the fixture", () => {
  test("the two conversations' ids interleave", () => {
    expect(groupIds).toHaveLength(TOTAL);
    expect(otherIds.length).toBeGreaterThan(30);
    const first = groupIds[0]!;
    const last = groupIds[TOTAL - 1]!;
    expect(otherIds.some((id) => id > first && id < last)).toBe(true);
    expect(last - first + 1).toBeGreaterThan(TOTAL); // gaps: ids are not contiguous
  });
});

describe("?page=N", () => {
  test("walks the whole conversation, 10 a page newest first, then []", async () => {
    const seen: number[] = [];
    const sizes: number[] = [];
    for (let page = 1; ; page++) {
      const rows = await history(`?page=${page}`);
      if (rows.length === 0) break;
      sizes.push(rows.length);
      for (const row of rows) expect(row.conversation_id).toBe(group.id);
      seen.push(...rows.map((r) => r.id));
      expect(page).toBeLessThan(20);
    }
    expect(sizes).toEqual([10, 10, 10, 10, 10, 7]);
    expectWalk(seen, [...groupIds].reverse());
    expect(await history("?page=7")).toEqual([]);
    expect(await history("?page=1000")).toEqual([]);
  });

  test("no page is page 1; limit sets the page size", async () => {
    const first = await history("");
    expect(first.map((r) => r.id)).toEqual([...groupIds].reverse().slice(0, 10));
    expect((await history("?page=1")).map((r) => r.id)).toEqual(first.map((r) => r.id));
    const seen: number[] = [];
    for (let page = 1; page <= 3; page++) seen.push(...(await history(`?page=${page}&limit=25`)).map((r) => r.id));
    expectWalk(seen, [...groupIds].reverse());
  });

  test("page=0, -1, abc, 1.5 or empty → 400", async () => {
    for (const page of ["0", "-1", "abc", "1.5", "", "Infinity"]) {
      const response = await api("GET", `/api/messages/${group.id}/?page=${page}`, { token: bob.access });
      expect(response.status, page).toBe(400);
      expect(Array.isArray(response.body), page).toBe(false);
    }
  });
});

describe("cursors", () => {
  test("?before walks newest first from the newest message to the first, each id once", async () => {
    for (const limit of [10, 7, 1, 100]) {
      const seen: number[] = [];
      let rows = await history(`?limit=${limit}`);
      while (rows.length) {
        expect(rows.length).toBeLessThanOrEqual(limit);
        seen.push(...rows.map((r) => r.id));
        rows = await history(`?before=${rows[rows.length - 1]!.id}&limit=${limit}`);
        expect(seen.length).toBeLessThanOrEqual(TOTAL);
      }
      expectWalk(seen, [...groupIds].reverse());
    }
    // The default page size applies to cursors too.
    expect((await history(`?before=${groupIds[TOTAL - 1]}`)).map((r) => r.id)).toEqual([...groupIds].reverse().slice(1, 11));
  });

  test("?after walks oldest first from the start to the newest message, each id once", async () => {
    for (const limit of [10, 9, 1, 100]) {
      const seen: number[] = [];
      let cursor = 0;
      for (;;) {
        const rows = await history(`?after=${cursor}&limit=${limit}`);
        if (rows.length === 0) break;
        expect(rows.length).toBeLessThanOrEqual(limit);
        seen.push(...rows.map((r) => r.id));
        cursor = rows[rows.length - 1]!.id;
        expect(seen.length).toBeLessThanOrEqual(TOTAL);
      }
      expectWalk(seen, groupIds);
    }
    expect((await history("?after=0&limit=3")).map((r) => r.id)).toEqual(groupIds.slice(0, 3));
  });

  test("a cursor may be any id, including one from another conversation", async () => {
    const pivot = otherIds.find((id) => id > groupIds[20]! && id < groupIds[30]!)!;
    expect(pivot).toBeDefined();
    const older = (await history(`?before=${pivot}&limit=100`)).map((r) => r.id);
    const newer = (await history(`?after=${pivot}&limit=100`)).map((r) => r.id);
    expect(older).toEqual(groupIds.filter((id) => id < pivot).reverse());
    expect(newer).toEqual(groupIds.filter((id) => id > pivot));
    expect(older.length + newer.length).toBe(TOTAL);
    expect(await history(`?after=${groupIds[TOTAL - 1]}`)).toEqual([]);
    expect(await history(`?before=${groupIds[0]}`)).toEqual([]);
    expect((await history("?before=1")).length).toBe(0);
  });

  test("?around=<id> centres a page on the message: the older half with it, the newer half, newest first", async () => {
    const at = 30;
    const rows = (await history(`?around=${groupIds[at]}&limit=10`)).map((r) => r.id);
    expect(rows).toEqual(groupIds.slice(at - 4, at + 6).reverse());
    // Near either end the page fills from the other side; an id from another conversation centres all the same.
    expect((await history(`?around=${groupIds[TOTAL - 2]}&limit=10`)).map((r) => r.id)).toEqual(groupIds.slice(TOTAL - 10).reverse());
    expect((await history(`?around=${groupIds[1]}&limit=10`)).map((r) => r.id)).toEqual(groupIds.slice(0, 10).reverse());
    const pivot = otherIds.find((id) => id > groupIds[20]! && id < groupIds[21]!)!;
    expect((await history(`?around=${pivot}&limit=4`)).map((r) => r.id)).toEqual(groupIds.slice(19, 23).reverse());
    expect((await history(`?around=${groupIds[at]}&limit=1`)).map((r) => r.id)).toEqual([groupIds[at]!]);
    for (const query of [`?around=${groupIds[3]}&before=${groupIds[9]}`, `?around=${groupIds[3]}&page=1`, "?around=0", "?around=x"]) {
      const response = await api("GET", `/api/messages/${group.id}/${query}`, { token: bob.access });
      expect(response.status, query).toBe(400);
    }
    expect((await api("GET", `/api/messages/${group.id}/?around=${groupIds[3]}`, { token: carol.access })).status).toBe(403);
  });

  test("limit=100 returns all 57; limit 0, 101, -1, abc, 1.5 → 400", async () => {
    expect((await history("?limit=100")).map((r) => r.id)).toEqual([...groupIds].reverse());
    expect((await history("?limit=1")).map((r) => r.id)).toEqual([groupIds[TOTAL - 1]!]);
    for (const limit of ["0", "101", "-1", "abc", "1.5"]) {
      const response = await api("GET", `/api/messages/${group.id}/?limit=${limit}`, { token: bob.access });
      expect(response.status, limit).toBe(400);
    }
  });

  test("before and after together, a cursor with page, or a malformed cursor → 400", async () => {
    for (const query of [
      `?before=${groupIds[10]}&after=${groupIds[5]}`,
      `?before=${groupIds[10]}&page=2`,
      `?after=${groupIds[10]}&page=1`,
      "?before=abc",
      "?before=0",
      "?after=-1",
      "?after=x",
    ]) {
      const response = await api("GET", `/api/messages/${group.id}/${query}`, { token: bob.access });
      expect(response.status, query).toBe(400);
    }
  });

  test("a before-walk is not disturbed by messages arriving during it", async () => {
    const before = [...groupIds];
    const seen: number[] = [];
    let rows = await history("?limit=10");
    let arrived = 0;
    while (rows.length) {
      seen.push(...rows.map((r) => r.id));
      // A new message lands between every two pages (it is newer than the cursor, so it is not part of this walk).
      groupIds.push((await sendText(api, alice, group.id, `late arrival ${++arrived}`)).id);
      rows = await history(`?before=${rows[rows.length - 1]!.id}&limit=10`);
      expect(seen.length).toBeLessThanOrEqual(TOTAL); // a cursor that repeats would loop forever
    }
    expectWalk(seen, before.reverse());
    // And an after-walk from the last seen id picks up exactly the late arrivals.
    const late = await history(`?after=${Math.max(...seen)}&limit=100`);
    expect(late.map((r) => r.id)).toEqual(groupIds.slice(TOTAL));
    expect(late.map((r) => r.message)).toEqual(Array.from({ length: arrived }, (_, i) => `late arrival ${i + 1}`));
  });

  test("history reads are members only, cursors included", async () => {
    for (const query of ["?page=1", `?before=${groupIds[10]}`, "?after=0", "?limit=100"]) {
      const response = await api("GET", `/api/messages/${group.id}/${query}`, { token: carol.access });
      expect(response.status, query).toBe(403);
      expect(JSON.stringify(response.body)).not.toContain("group message");
    }
  });
});
