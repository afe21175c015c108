// SQLite (one node) against PostgreSQL + Redis, run side by side on the same data: sends over WebSocket and REST,
// fan-out to a room of 1,000, and cross-node delivery with both nodes on PostgreSQL. The data is made once in SQLite
// and moved into a fresh PostgreSQL database by the copy that `parley copy-to-postgres` runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { copySqliteToPostgres } from "../../../src/db/copy-to-postgres";
import { createTokens } from "../../../src/modules/auth/tokens";
import { fillDataDir } from "../fill";
import { SECRET, measured, medianRound, pairedRounds, spawnParley, type ChildServer, type ScenarioOptions, type ScenarioResult } from "../lib";
import { FRAME_BYTES, PARLEY_ENVELOPE_BYTES, connectAll, parleyRoom, settle, throughput } from "./fanout";
import { REDIS_URL, crossNodeLatency, redisAnswers } from "./nodes";
import { restSends, wsSends } from "./send";

const ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const PAIRS = 50;
const ROOM = 1000;

export async function postgres({ quick }: ScenarioOptions): Promise<ScenarioResult> {
  const admin = new SQL(ADMIN_URL);
  const reachable = await admin`select 1`.then(
    () => true,
    () => false,
  );
  if (!reachable || !(await redisAnswers())) {
    await admin.close().catch(() => undefined);
    return { scenario: "postgres", rows: {}, notes: [`skipped: needs PostgreSQL at ${ADMIN_URL} (PARLEY_TEST_POSTGRES_URL) and Redis at ${REDIS_URL}`] };
  }
  const seconds = quick ? 2 : 4;
  const rounds = quick ? 2 : 3;
  const pairedNotes: string[] = [];
  const name = `parley_bench_${process.pid}`;
  const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-postgres-"));
  const pgDataDir = mkdtempSync(join(tmpdir(), "parley-bench-postgres-node-"));
  const rows: ScenarioResult["rows"] = {};
  try {
    await admin.unsafe(`create database ${name}`);
    const users = ROOM;
    const groups = await fillDataDir(dataDir, {
      users,
      groups: [...Array.from({ length: PAIRS }, (_, i) => ({ members: 2, firstMember: 2 * i + 1 })), { members: ROOM }],
    });
    const room = groups.at(-1)!;
    const pairOf = (user: number) => groups[Math.floor((user - 1) / 2)]!;
    await copySqliteToPostgres(dataDir, databaseUrl, null);
    const issuer = createTokens(SECRET, { access: 3_600_000, refresh: 3_600_000 });
    const tokens = await Promise.all(Array.from({ length: users }, async (_, i) => (await issuer.issue("access", i + 1, 0)).token));

    const modes: Array<{ label: string; env: Record<string, string> }> = [
      { label: "SQLite", env: {} },
      { label: "PostgreSQL + Redis", env: { PARLEY_DATABASE_URL: databaseUrl, PARLEY_REDIS_URL: REDIS_URL } },
    ];
    // Both servers up at once (the PostgreSQL node on a data dir of its own), the sends measured in paired rounds.
    const [sqlite, postgres] = [await spawnParley(dataDir, modes[0]!.env), await spawnParley(pgDataDir, modes[1]!.env)];
    try {
      const sends = (kind: "WebSocket" | "REST", server: ChildServer) => () =>
        measured(server, () =>
          kind === "WebSocket" ? wsSends(server, tokens.slice(0, 2 * PAIRS), pairOf, seconds) : restSends(server, tokens[0]!, pairOf(1), seconds),
        );
      for (const kind of ["WebSocket", "REST"] as const) {
        const pairs = await pairedRounds(rounds, sends(kind, postgres), sends(kind, sqlite), (r) => r.per_second);
        for (const [label, results] of [
          ["SQLite", pairs.b],
          ["PostgreSQL + Redis", pairs.a],
        ] as const) {
          const r = medianRound(results, (round) => round.per_second);
          rows[`${label}: sends over ${kind}`] = { "per second": r.per_second, "p50 ms": r.p50_ms, "p99 ms": r.p99_ms, "server CPU s": r.server_cpu_seconds };
        }
        rows[`PostgreSQL + Redis / SQLite: sends over ${kind} (median of paired rounds)`] = { "per second": pairs.ratio };
        pairedNotes.push(`${kind} sends, PostgreSQL + Redis / SQLite: ${pairs.text}.`);
      }
      for (const [label, server] of [
        ["SQLite", sqlite],
        ["PostgreSQL + Redis", postgres],
      ] as const) {
        const members = await connectAll(parleyRoom(server, tokens, room), ROOM);
        await settle(members, 300);
        const fan = await measured(server, () => throughput(members, quick ? 150 : 400, FRAME_BYTES - PARLEY_ENVELOPE_BYTES));
        for (const m of members) m.close();
        rows[`${label}: fan-out, room of ${ROOM} (deliveries)`] = { "per second": fan.deliveries_per_second, "server CPU s": fan.server_cpu_seconds };
      }
    } finally {
      await sqlite.stop();
      await postgres.stop();
    }
    const crossNode = await crossNodeLatency(dataDir, modes[1]!.env, groups[PAIRS]!, 200, seconds); // users 1–3 are in the room
    for (const [what, row] of Object.entries(crossNode)) rows[`PostgreSQL + Redis, two nodes: ${what}`] = row;
    const ratio = (what: string) => ((rows[`PostgreSQL + Redis: ${what}`]!["per second"] as number) / (rows[`SQLite: ${what}`]!["per second"] as number)) * 100;
    return {
      scenario: "postgres",
      rows,
      notes: [
        `PostgreSQL + Redis reaches ${ratio("sends over WebSocket").toFixed(0)}% of SQLite's WebSocket sends, ${ratio("sends over REST").toFixed(0)}% of its REST sends (the median rounds) and ${ratio(`fan-out, room of ${ROOM} (deliveries)`).toFixed(0)}% of its fan-out, one node each.`,
        ...pairedNotes,
        `Same data in both (${PAIRS} two-member groups and one room of ${ROOM}, copied from SQLite into PostgreSQL); sends as in the send scenario (${2 * PAIRS} users, 8 in flight each; REST on 64 connections), ${seconds} s each, ${rounds} rounds, both servers up and measured in turn (the order turned each round). PostgreSQL (the machine's, default settings: synchronous_commit on) shares the 2 cores with the server and the client.`,
        "Cross-node: two nodes on PostgreSQL and Redis; 200 messages/s sent on A; send to arrival on A and on B.",
      ],
    };
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(pgDataDir, { recursive: true, force: true });
  }
}
