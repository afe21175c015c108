// The layering rules of README's "How the code is laid out", checked on the source: no import cycle under src/
// (type-only imports included), and no Kysely query outside the repositories, src/core/ and src/db/.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const src = join(root, "src");

/** Files that build queries without being a repository, each with the reason. */
const QUERY_EXCEPTIONS: Record<string, string> = {
  "src/migrations.ts": "placeholder",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const files = sourceFiles(src);
const text = new Map(files.map((file) => [file, readFileSync(file, "utf8")]));

/** The files under src/ a file imports (static, dynamic, re-exports; type-only too). */
function importsOf(file: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of text.get(file)!.matchAll(pattern)) {
    const base = resolve(dirname(file), match[1]!);
    const target = [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find((candidate) => text.has(candidate));
    if (target) found.push(target);
  }
  return found;
}

describe("architecture", () => {
  test("no import cycle under src/, type-only imports included", () => {
    const graph = new Map(files.map((file) => [file, importsOf(file)]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      stack.push(file);
      for (const next of graph.get(file)!) {
        if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)).join(" → "));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  test("queries only in repositories, src/core/ and src/db/", () => {
    const query = /\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\bsql`|\bsql\.raw\(/;
    const offenders = files
      .map((file) => relative(root, file))
      .filter((path) => !path.endsWith("/repository.ts") && !path.startsWith("src/core/") && !path.startsWith("src/db/") && !(path in QUERY_EXCEPTIONS))
      .filter((path) => query.test(text.get(join(root, path))!));
    expect(offenders).toEqual([]);
  });
});
