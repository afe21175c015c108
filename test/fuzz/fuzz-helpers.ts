// What the fuzzers share: the seed and run count (FUZZ_SEED, FUZZ_RUNS), values that break naive code, arbitraries
// built from a document's JSON Schemas, and the database invariants checked after a fuzz run.
import { readdirSync } from "node:fs";
import fc from "fast-check";
import type { Parley } from "../../src/app";
import { uploadsDir } from "../../src/modules/files/storage";
import { queryRows } from "../helpers";

/** Seeded, so a run is repeatable; FUZZ_SEED picks another sequence, FUZZ_RUNS makes a longer run. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_2026);
export const fuzzRuns = (quick: number) => Number(process.env.FUZZ_RUNS ?? quick);
/** Per test: the bunfig timeout (20 s) is for the quick runs; a FUZZ_RUNS run takes as long as it takes. */
export const fuzzTimeout = (quickMs: number) => (process.env.FUZZ_RUNS ? 3_600_000 : quickMs);

export const fuzzParameters = (numRuns: number): fc.Parameters<unknown> => ({ seed: FUZZ_SEED, numRuns, endOnFailure: true });

/** Nesting deeper than any parser's recursion should be trusted with. */
export const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
export const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** Strings that break naive code: empty, huge, NUL, lone surrogates, RTL overrides, joined emoji, odd numerals. */
export const NASTY_STRINGS = [
  "",
  " ",
  "x".repeat(100_000),
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDC00tail",
  "\uDBFF\uDFFF",
  "\u202Egnp.exe",
  "\u200F\u200E\u2066",
  "\uFEFF",
  "👩‍👩‍👧‍👦🏳️‍🌈🇺🇦",
  "Z̸̡̢̛̗̘̙̜̝̞̟̠",
  "Ω≈ç√∫˜µ≤≥÷",
  "%00",
  "%E0%A4%A",
  "../../../../etc/passwd",
  "$" + "{7*7}{{7*7}}",
  "<script>alert(1)</script>",
  "'; DROP TABLE messages; --",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "9007199254740993",
  "0x1F",
  "١٢٣",
  "true",
  "null",
];

export const NASTY_NUMBERS = [0, -1, 1.5, -0, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), Number.MAX_VALUE, Number.MIN_VALUE, 1e300];

/** Any JSON value a field should not have: a wrong type, an edge number, a nasty string, nesting, prototype keys. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.constantFrom(...NASTY_NUMBERS),
  fc.constantFrom(true, false, null, [], {}, [1, "a"], { __proto__: { admin: true } }, JSON.parse('{"__proto__":{"is_staff":true}}'), {
    constructor: { prototype: { x: 1 } },
  }),
  fc.constantFrom(JSON.parse(deepArray(200)), JSON.parse(deepObject(200))),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.double(),
  fc.integer(),
);

type Json = Record<string, any>;

/** Resolves a local $ref of the document. */
export function resolve(doc: Json, schema: Json): Json {
  let s = schema;
  while (s?.$ref)
    s = s.$ref
      .split("/")
      .slice(1)
      .reduce((node: Json, key: string) => node[key], doc);
  return s;
}

/**
 * Values a schema accepts (mostly: formats and patterns are honoured where fast-check can), with `ids` standing in
 * for integers named like ids so that valid requests reach real rows.
 */
export function valueFor(doc: Json, raw: Json, ids: (name: string) => number[] = () => [], name = "", depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw ?? {});
  const orNull = (arb: fc.Arbitrary<unknown>) => (schema.nullable ? fc.oneof(arb, fc.constant(null)) : arb);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return orNull(fc.constantFrom(...schema.enum));
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return orNull(fc.oneof(...variants.map((v: Json) => valueFor(doc, v, ids, name, depth))));
  switch (schema.type) {
    case "string": {
      if (schema.format === "date-time") return orNull(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
      if (schema.format === "email") return orNull(fc.emailAddress());
      if (schema.pattern) return orNull(fc.stringMatching(new RegExp(schema.pattern)));
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.min(schema.maxLength ?? 40, Math.max(minLength, 40));
      return orNull(fc.oneof(fc.string({ unit: "grapheme", minLength, maxLength }), fc.string({ unit: "grapheme-ascii", minLength, maxLength })));
    }
    case "integer": {
      const known = ids(name);
      const range = fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 2 ** 31) });
      return orNull(known.length ? fc.oneof(fc.constantFrom(...known), range) : range);
    }
    case "number":
      return orNull(fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true }));
    case "boolean":
      return orNull(fc.boolean());
    case "null":
      return fc.constant(null);
    case "array":
      return orNull(
        fc.array(depth > 3 ? fc.constant(null) : valueFor(doc, schema.items ?? {}, ids, name, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) }),
      );
    case "object": {
      const properties = Object.entries((schema.properties ?? {}) as Json);
      if (!properties.length || depth > 3) return orNull(fc.constant({}));
      const record = Object.fromEntries(properties.map(([key, value]) => [key, valueFor(doc, value, ids, key, depth + 1)]));
      return orNull(fc.record(record, { requiredKeys: schema.required ?? [] }));
    }
    default:
      return fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null));
  }
}

/** A valid value, or one subtly wrong: a field replaced by a nasty value, an unknown field added, or a nasty whole. */
export function validOrBroken(doc: Json, schema: Json, ids: (name: string) => number[]): fc.Arbitrary<unknown> {
  const valid = valueFor(doc, schema, ids);
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 4,
      arbitrary: fc.tuple(valid, nastyValue, fc.nat()).map(([value, nasty, pick]) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return nasty;
        const keys = Object.keys(resolve(doc, schema).properties ?? {});
        if (!keys.length) return { ...value, extra: nasty };
        return { ...value, [keys[pick % keys.length]!]: nasty };
      }),
    },
    { weight: 1, arbitrary: nastyValue },
  );
}

/** The bytes of a string as UTF-8 and percent-encoded (lone surrogates become U+FFFD, as a browser would send them). */
export const percentEncode = (text: string) =>
  [...Buffer.from(text, "utf8")]
    .map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0").toUpperCase()}`))
    .join("");

/**
 * The database after a fuzz run: SQLite's own integrity and foreign-key checks, every message in an existing
 * conversation, every member row pointing at a conversation and a user, the event log's seqs unique and in commit
 * order, and the uploads dir holding exactly the files the live file rows name. Returns what is wrong ([] when sound).
 */
export async function invariantViolations(parley: Parley, dataDir: string): Promise<string[]> {
  const wrong: string[] = [];
  const rows = (sql: string) => queryRows(parley, sql);
  if (parley.database.kind === "sqlite") {
    const integrity = await rows("PRAGMA integrity_check");
    if (integrity[0]?.integrity_check !== "ok") wrong.push(`integrity_check: ${JSON.stringify(integrity)}`);
    const foreign = await rows("PRAGMA foreign_key_check");
    if (foreign.length) wrong.push(`foreign_key_check: ${JSON.stringify(foreign.slice(0, 5))}`);
  }
  const expectNone = async (what: string, sql: string) => {
    const found = await rows(sql);
    if (found.length) wrong.push(`${what}: ${JSON.stringify(found.slice(0, 5))}`);
  };
  await expectNone(
    "messages without their conversation",
    "SELECT m.id FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id WHERE c.id IS NULL",
  );
  await expectNone(
    "members of no conversation",
    "SELECT m.user_id FROM conversation_members m LEFT JOIN conversations c ON c.id = m.conversation_id WHERE c.id IS NULL",
  );
  await expectNone("members who are no user", "SELECT m.user_id FROM conversation_members m LEFT JOIN users u ON u.id = m.user_id WHERE u.id IS NULL");
  await expectNone(
    "messages whose file row is gone",
    "SELECT m.id FROM messages m LEFT JOIN files f ON f.id = m.file_id WHERE m.file_id IS NOT NULL AND f.id IS NULL",
  );
  await expectNone("a seq given twice", "SELECT seq FROM events GROUP BY seq HAVING count(*) > 1");
  await expectNone(
    "a later seq committed before an earlier one",
    "SELECT seq FROM (SELECT seq, created_at, LAG(created_at) OVER (ORDER BY seq) AS previous FROM events) e WHERE created_at < previous",
  );
  const live = new Set((await rows("SELECT storage_name FROM files WHERE deleted_at IS NULL")).map((r) => r.storage_name as string));
  const onDisk = new Set(readdirSync(uploadsDir(dataDir)));
  const missing = [...live].filter((name) => !onDisk.has(name));
  const orphans = [...onDisk].filter((name) => !live.has(name));
  if (missing.length) wrong.push(`file rows without their file: ${missing.slice(0, 5).join(", ")}`);
  if (orphans.length) wrong.push(`files on disk without a row: ${orphans.slice(0, 5).join(", ")}`);
  return wrong;
}
