// The performance targets (issue 19 and the ones before it), each read from a run's rows: met, not met, or not
// measured in this run. The summary states them first, so a reader sees at once where Parley stands.
import type { ScenarioResult } from "./lib";

export interface Verdict {
  target: string;
  measured: string;
  met: boolean | null;
}

type Rows = ScenarioResult["rows"];

const number = (rows: Rows | undefined, row: string, column: string): number | undefined => {
  const value = rows?.[row]?.[column];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
};

/** A ratio the scenario measured itself (the median of paired rounds), against a bound. */
function paired(target: string, value: number | undefined, limit: number, better: ">=" | "<="): Verdict {
  if (value === undefined) return { target, measured: "not measured", met: null };
  return { target, measured: value.toFixed(2), met: better === ">=" ? value >= limit : value <= limit };
}

/** A bound on one figure. */
function bound(target: string, value: number | undefined, limit: number, better: ">=" | "<" | "<=", unit: string): Verdict {
  if (value === undefined) return { target, measured: "not measured", met: null };
  const met = better === ">=" ? value >= limit : better === "<" ? value < limit : value <= limit;
  return { target, measured: `${value >= 100 ? Math.round(value).toLocaleString("en") : value.toFixed(2)} ${unit}`, met };
}

export function verdicts(results: ScenarioResult[]): Verdict[] {
  const of = (scenario: string) => results.find((r) => r.scenario === scenario)?.rows;
  const lean = of("lean");
  const ws = "room of 10 over WebSocket";
  const out: Verdict[] = [
    paired("1. Sends into a room of 10 over WebSocket ≥ 0.7 of the lean durable server", number(lean, `Parley / lean server, ${ws}`, "messages/s"), 0.7, ">="),
    paired("1. Server RSS under that load ≤ 1.5× the lean server's", number(lean, `Parley / lean server, ${ws}`, "peak RSS MiB"), 1.5, "<="),
    paired("1. REST sends ≥ 0.6 of the lean REST server", number(lean, "Parley / lean server, REST sends", "messages/s"), 0.6, ">="),
  ];
  const stalls = of("stalls");
  const loaded = stalls && Object.keys(stalls).find((name) => name.startsWith("Parley while"));
  out.push(
    bound("2. /healthz p99 while 8 clients run heavy reads < 10 ms", loaded ? number(stalls, loaded, "/healthz p99 ms") : undefined, 10, "<", "ms"),
    bound("2. WebSocket delivery p99 while 8 clients run heavy reads < 10 ms", loaded ? number(stalls, loaded, "delivery p99 ms") : undefined, 10, "<", "ms"),
  );
  const conversations = of("conversations");
  const list = conversations && Object.keys(conversations).find((name) => name.startsWith("Parley, GET /api/conversations/"));
  out.push(
    bound(
      "2. GET /api/conversations/ for a member of 500 conversations ≥ 1,000 req/s",
      list ? number(conversations, list, "req/s") : undefined,
      1000,
      ">=",
      "req/s",
    ),
  );
  const search = of("search");
  for (const name of Object.keys(search ?? {}).filter((n) => n.startsWith("Parley, "))) {
    const kind = name.slice("Parley, ".length);
    out.push(bound(`3. Search at 1M, ${kind}: p50 ≤ 5 ms`, number(search, name, "p50 ms"), 5, "<=", "ms"));
    out.push(bound(`3. Search at 1M, ${kind}: p99 ≤ 20 ms`, number(search, name, "p99 ms"), 20, "<=", "ms"));
  }
  out.push(
    bound(
      "4. The compiled binary idles under 50 MB RSS",
      number(of("binary"), "dist/parley", "idle RSS MiB") ?? number(of("idle"), "Parley (authenticated, subscribed)", "idle RSS MiB"),
      50,
      "<",
      "MiB",
    ),
    bound(
      "4. ≤ 4 KiB per idle authenticated socket at 10k sockets",
      number(of("idle"), "Parley (authenticated, subscribed)", "bytes/socket"),
      4096,
      "<=",
      "bytes",
    ),
  );
  const pg = of("postgres");
  out.push(
    paired(
      "5. PostgreSQL sends over WebSocket ≥ 50% of SQLite's",
      number(pg, "PostgreSQL + Redis / SQLite: sends over WebSocket (median of paired rounds)", "per second"),
      0.5,
      ">=",
    ),
    paired(
      "5. PostgreSQL sends over REST ≥ 50% of SQLite's",
      number(pg, "PostgreSQL + Redis / SQLite: sends over REST (median of paired rounds)", "per second"),
      0.5,
      ">=",
    ),
  );
  const fanout = of("fanout");
  out.push(
    paired(
      "Kept: fan-out to a room of 1,000 ≥ 0.8 of bare Bun pub/sub",
      number(fanout, "Parley / bare Bun pub/sub, room of 1000 (median of paired rounds)", "deliveries/s"),
      0.8,
      ">=",
    ),
  );
  const history = of("history");
  out.push(
    paired("Kept: the newest history page at 1M ≥ 1.0× at 1k", number(history, "Parley, newest 50: 1M / 1k (median of paired rounds)", "req/s"), 1.0, ">="),
  );
  out.push(bound("Kept: cold start of the binary < 80 ms (p50)", number(of("binary"), "dist/parley", "cold start p50 ms"), 80, "<", "ms"));
  return out;
}

export function verdictLines(results: ScenarioResult[]): string[] {
  const rows = verdicts(results);
  const met = rows.filter((v) => v.met === true).length;
  const measured = rows.filter((v) => v.met !== null).length;
  return [
    `${met} of ${measured} measured targets met${measured < rows.length ? ` (${rows.length - measured} not measured in this run)` : ""}.`,
    "",
    "| target | measured | met |",
    "|---|---:|:---:|",
    ...rows.map((v) => `| ${v.target} | ${v.measured} | ${v.met === null ? "–" : v.met ? "yes" : "**no**"} |`),
  ];
}
