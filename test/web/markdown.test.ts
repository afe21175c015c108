// The message Markdown subset and links (src/web/markdown.ts): what each mark makes, and hostile input staying text.
import { describe, expect, test } from "bun:test";
import { type Inline, parseInline, parseMarkdown } from "../../src/web/markdown";

/** The text a reader sees, marks left out: a parse must never lose or invent characters of plain text. */
const textOf = (nodes: Inline[]): string =>
  nodes
    .map((n) =>
      typeof n === "string" ? n : n.kind === "code" ? n.text : n.kind === "link" ? n.href : n.kind === "mention" ? `@${n.name}` : textOf(n.children),
    )
    .join("");

describe("inline marks", () => {
  test("bold, italic, strikethrough, inline code", () => {
    expect(parseInline("a **bold** b")).toEqual(["a ", { kind: "strong", children: ["bold"] }, " b"]);
    expect(parseInline("__bold__")).toEqual([{ kind: "strong", children: ["bold"] }]);
    expect(parseInline("*it* and _it_")).toEqual([{ kind: "em", children: ["it"] }, " and ", { kind: "em", children: ["it"] }]);
    expect(parseInline("~~gone~~")).toEqual([{ kind: "del", children: ["gone"] }]);
    expect(parseInline("run `rm -rf **x**` now")).toEqual(["run ", { kind: "code", text: "rm -rf **x**" }, " now"]);
    expect(parseInline("**bold *and italic***")).toEqual([{ kind: "strong", children: ["bold ", { kind: "em", children: ["and italic"] }] }]);
  });

  test("markers that do not open or close stay text", () => {
    for (const text of ["2 * 3 * 4", "snake_case_name", "**unclosed", "a ** b ** c", "~single~", "`", "``", "* not a list here*"]) {
      expect(textOf(parseInline(text)), text).toBe(text);
    }
    // Crossed markers: the first to close wins, the other is text again.
    expect(parseInline("_a *b_ c*")).toEqual([{ kind: "em", children: ["a ", "*", "b"] }, " c*"]);
    expect(parseInline("snake_case_name")).toEqual(["snake_case_name"]);
    expect(parseInline("**unclosed")).toEqual(["**", "unclosed"]);
    expect(parseInline("\\*not em\\*")).toEqual(["*not em*"]);
  });

  test("http and https links only, trailing punctuation left out", () => {
    expect(parseInline("see https://example.com/a?b=1.")).toEqual(["see ", { kind: "link", href: "https://example.com/a?b=1" }, "."]);
    expect(parseInline("(http://x.org/path)")).toEqual(["(", { kind: "link", href: "http://x.org/path" }, ")"]);
    for (const text of [
      "javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:x",
      "file:///etc/passwd",
      "[click](javascript:alert(1))",
      "xhttps://a.b",
    ]) {
      const nodes = parseInline(text);
      expect(
        nodes.some((n) => typeof n !== "string" && n.kind === "link"),
        text,
      ).toBe(false);
      expect(textOf(nodes)).toBe(text);
    }
    // A link ends at a quote or angle bracket: nothing after it can ride along into the href.
    expect(parseInline('https://a.example/"onmouseover="x')[0]).toEqual({ kind: "link", href: "https://a.example/" });
  });

  test("@mentions start a word; an email address is not one", () => {
    expect(parseInline("hi @bob.")).toEqual(["hi ", { kind: "mention", name: "bob" }, "."]);
    expect(parseInline("(@ann.lee)")).toEqual(["(", { kind: "mention", name: "ann.lee" }, ")"]);
    expect(parseInline("mail@bob.org")).toEqual(["mail@bob.org"]);
    expect(parseInline("`@bob`")).toEqual([{ kind: "code", text: "@bob" }]);
  });

  test("HTML is text", () => {
    const attack = "<script>alert(1)</script><img src=x onerror=alert(1)>";
    expect(parseInline(attack)).toEqual([attack]);
  });
});

describe("blocks", () => {
  test("code blocks, quotes, lists and paragraphs with their line breaks", () => {
    expect(parseMarkdown("line one\nline two")).toEqual([{ kind: "p", children: ["line one\nline two"] }]);
    expect(parseMarkdown("look:\n```\nconst a = **1**;\n  <b>x</b>\n```\nafter")).toEqual([
      { kind: "p", children: ["look:"] },
      { kind: "pre", text: "const a = **1**;\n  <b>x</b>" },
      { kind: "p", children: ["after"] },
    ]);
    expect(parseMarkdown("> quoted **here**\n> and on")).toEqual([
      { kind: "blockquote", children: ["quoted ", { kind: "strong", children: ["here"] }, "\nand on"] },
    ]);
    expect(parseMarkdown("- one\n- *two*\n1. first\n2) second")).toEqual([
      { kind: "ul", items: [["one"], [{ kind: "em", children: ["two"] }]] },
      { kind: "ol", items: [["first"], ["second"]] },
    ]);
    expect(parseMarkdown("```\nnever closed")).toEqual([{ kind: "pre", text: "never closed" }]);
  });
});

describe("hostile input", () => {
  test("very long and deeply nested inputs parse in linear time", () => {
    const cases = [
      "*".repeat(200_000),
      "**a ".repeat(50_000),
      "_a *b ~~c `".repeat(20_000),
      "`".repeat(100_000),
      "@".repeat(100_000),
      "h ".repeat(100_000),
      "https://a.b/".repeat(20_000),
      "> *x\n".repeat(30_000),
      "- **\n".repeat(30_000),
      `${"[".repeat(100_000)}](javascript:x)`,
    ];
    for (const text of cases) {
      const started = performance.now();
      const blocks = parseMarkdown(text);
      expect(performance.now() - started, text.slice(0, 20)).toBeLessThan(1_500);
      expect(blocks.length).toBeGreaterThan(0);
    }
  });

  test("nesting deeper than the limit is kept as text, nothing lost", () => {
    const text = `${"*a ".repeat(30)}x${"*".repeat(30)}`;
    const nodes = parseInline(text);
    let depth = 0;
    const walk = (list: Inline[], d: number) => {
      depth = Math.max(depth, d);
      for (const n of list) if (typeof n !== "string" && "children" in n) walk(n.children, d + 1);
    };
    walk(nodes, 0);
    expect(depth).toBeLessThanOrEqual(8);
    expect(textOf(nodes).replace(/\*/g, "")).toBe(text.replace(/\*/g, ""));
  });
});
