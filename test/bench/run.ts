// The benchmark suite: `npm run bench` (about 6 minutes) or `npm run bench -- --quick` (under 90 s).
// `--only fanout,history` runs some scenarios. Prints a table per scenario, writes JSON and a markdown
// summary under test/bench/results/, and the summary to test/bench/RESULTS.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_CORE, ROOT, TASKSET, buildBinary, coreCount, cpuModel, fmt, type ScenarioOptions, type ScenarioResult } from "./lib";
import { binary } from "./scenarios/binary";
import { conversations } from "./scenarios/conversations";
import { fanout } from "./scenarios/fanout";
import { history } from "./scenarios/history";
import { idle } from "./scenarios/idle";
import { lean } from "./scenarios/lean";
import { login } from "./scenarios/login";
import { nodes } from "./scenarios/nodes";
import { postgres } from "./scenarios/postgres";
import { search } from "./scenarios/search";
import { send } from "./scenarios/send";
import { stalls } from "./scenarios/stalls";
import { verdictLines } from "./targets";

const SCENARIOS: Record<string, (options: ScenarioOptions) => Promise<ScenarioResult>> = {
  fanout,
  send,
  lean,
  history,
  conversations,
  search,
  stalls,
  nodes,
  postgres,
  idle,
  login,
  binary,
};

// The load generator pins itself to its own core (the servers take the other), re-executing under taskset.
if (TASKSET && process.env.PARLEY_BENCH_PINNED !== "1") {
  const child = Bun.spawn([TASKSET, "-c", CLIENT_CORE, process.execPath, import.meta.path, ...process.argv.slice(2)], {
    env: { ...process.env, PARLEY_BENCH_PINNED: "1" },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
}

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args[onlyIndex + 1]!.split(",") : Object.keys(SCENARIOS);
const unknown = only.filter((name) => !SCENARIOS[name]);
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}`);
  process.exit(2);
}

const started = Date.now();
const machine = {
  cpu: cpuModel(),
  cores: coreCount(),
  bun: Bun.version,
  pinned: TASKSET ? `server on core 0, load generator on core ${CLIENT_CORE}` : "not pinned (no taskset)",
};
console.log(`Parley benchmarks (${quick ? "quick" : "full"}) on ${machine.cpu}, ${machine.cores} cores; ${machine.pinned}`);
buildBinary();
const results: ScenarioResult[] = [];
for (const name of only) {
  const t0 = Date.now();
  console.log(`\n== ${name}`);
  const result = await SCENARIOS[name]!({ quick });
  results.push(result);
  printTable(result);
  console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

function cell(value: number | string | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return Math.abs(value) >= 100 ? fmt(value) : fmt(value, 2);
}

function columnsOf(result: ScenarioResult): string[] {
  return [...new Set(Object.values(result.rows).flatMap((row) => Object.keys(row)))];
}

function printTable(result: ScenarioResult) {
  const columns = columnsOf(result);
  console.table(Object.fromEntries(Object.entries(result.rows).map(([name, row]) => [name, Object.fromEntries(columns.map((c) => [c, cell(row[c])]))])));
  for (const note of result.notes) console.log(`- ${note}`);
}

function markdown(): string {
  const lines = [
    "# Parley benchmark results",
    "",
    `Run ${new Date(started).toISOString()} (${quick ? "quick" : "full"} run, ${((Date.now() - started) / 1000).toFixed(0)} s) with \`npm run bench${quick ? " -- --quick" : ""}\`.`,
    "",
    `Machine: ${machine.cpu}, ${machine.cores} cores, Bun ${machine.bun}; ${machine.pinned}. Everything on loopback.`,
    "",
    "## Targets",
    "",
    ...verdictLines(results),
  ];
  for (const result of results) {
    const columns = columnsOf(result);
    lines.push("", `## ${result.scenario}`, "", `| | ${columns.join(" | ")} |`, `|---|${columns.map(() => "---:").join("|")}|`);
    for (const [name, row] of Object.entries(result.rows)) lines.push(`| ${name} | ${columns.map((c) => cell(row[c])).join(" | ")} |`);
    if (result.notes.length) lines.push("", ...result.notes.map((n) => `- ${n}`));
  }
  return `${lines.join("\n")}\n`;
}

const dir = join(ROOT, "test/bench/results");
mkdirSync(dir, { recursive: true });
const stamp = new Date(started).toISOString().replace(/[:.]/g, "-");
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ machine, quick, started: new Date(started).toISOString(), results }, null, 2));
writeFileSync(join(dir, "summary.md"), markdown());
// The committed summary is the latest complete run: quick or partial runs leave it alone.
const complete = !quick && only.length === Object.keys(SCENARIOS).length;
if (complete) writeFileSync(join(ROOT, "test/bench/RESULTS.md"), markdown());
console.log(`\n${verdictLines(results).join("\n")}`);
console.log(
  `\nWrote test/bench/results/${stamp}.json and test/bench/results/summary.md${complete ? " and test/bench/RESULTS.md" : ""} (${((Date.now() - started) / 1000).toFixed(0)} s).`,
);
process.exit(0);
