// Configuration: flags and PARLEY_* variables, human-written units, every problem reported, and the CLI's answer to them.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ConfigError, describeOptions, loadConfig } from "../src/config";
import { parseDuration, parseSize } from "../src/lib/units";
import { run as parley } from "./process-helpers";

/** The problems loadConfig reports, or [] when it accepts. */
function problems(args: string[], env: Record<string, string> = {}): string[] {
  try {
    loadConfig(args, env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe("parseDuration", () => {
  test.each([
    ["90s", 90_000],
    ["40m", 2_400_000],
    ["7d", 604_800_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["2w", 1_209_600_000],
    ["1.5h", 5_400_000],
    [" 10 S ", 10_000],
    ["0", 0],
  ])("%p is %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(["", "40", "abc", "-5m", "5 minutes", "5m30", "m5", "1y", "1h 30x"])("%p is unreadable", (text) => expect(parseDuration(text)).toBeNull());
});

describe("parseSize", () => {
  test.each([
    ["1048576", 1_048_576],
    ["25MiB", 26_214_400],
    ["25mib", 26_214_400],
    ["10 MB", 10_000_000],
    ["1k", 1024],
    ["1KiB", 1024],
    ["2G", 2 * 1024 ** 3],
    ["512b", 512],
  ])("%p is %d bytes", (text, bytes) => expect(parseSize(text)).toBe(bytes));

  test.each(["", "lots", "-1", "10 XB", "MiB", "1,000"])("%p is unreadable", (text) => expect(parseSize(text)).toBeNull());
});

describe("loadConfig", () => {
  test("defaults", () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      jwtSecret: null,
      accessTtlMs: 40 * 60_000,
      refreshTtlMs: 7 * 86_400_000,
      corsOrigins: [],
      maxUploadBytes: 25 * 1024 ** 2,
      maxJsonBytes: 1024 ** 2,
      passwordMemoryKib: 19_456,
      passwordTimeCost: 2,
      durability: "normal",
      logLevel: "info",
    });
    expect(config.dataDir).toBe(resolve("./data"));
  });

  test("reads PARLEY_* variables with units", () => {
    const config = loadConfig([], {
      PARLEY_PORT: "8080",
      PARLEY_ACCESS_TTL: "90s",
      PARLEY_REFRESH_TTL: "7d",
      PARLEY_MAX_JSON_BYTES: "1048576",
      PARLEY_MAX_UPLOAD_BYTES: "25MiB",
      PARLEY_FILE_TTL: "0",
      PARLEY_JWT_SECRET: "k".repeat(32),
      PARLEY_CORS_ORIGINS: "https://chat.example.com, http://localhost:5173",
      PARLEY_LOG_LEVEL: "WARN",
      PARLEY_DURABILITY: "full",
      PARLEY_DATA_DIR: "/tmp/parley-config-test",
    });
    expect(config).toMatchObject({
      port: 8080,
      accessTtlMs: 90_000,
      refreshTtlMs: 604_800_000,
      maxJsonBytes: 1_048_576,
      maxUploadBytes: 26_214_400,
      fileTtlMs: 0,
      jwtSecret: "k".repeat(32),
      corsOrigins: ["https://chat.example.com", "http://localhost:5173"],
      logLevel: "warn",
      durability: "full",
      dataDir: "/tmp/parley-config-test",
    });
  });

  test("flags win over the environment, in both --flag value and --flag=value forms", () => {
    const env = { PARLEY_PORT: "1111", PARLEY_HOST: "10.0.0.1", PARLEY_DATA_DIR: "/tmp/from-env" };
    expect(loadConfig(["--port", "2222"], env)).toMatchObject({ port: 2222, host: "10.0.0.1", dataDir: "/tmp/from-env" });
    expect(loadConfig(["--port=3333", "--host=127.0.0.1", "--data-dir", "rel/dir"], env)).toMatchObject({
      port: 3333,
      host: "127.0.0.1",
      dataDir: resolve("rel/dir"),
    });
    // A good flag also hides a bad variable.
    expect(loadConfig(["--port", "4444"], { PARLEY_PORT: "not a port" }).port).toBe(4444);
  });

  test("an empty variable means the default", () => {
    expect(loadConfig([], { PARLEY_PORT: "", PARLEY_ACCESS_TTL: "" })).toMatchObject({ port: 3000, accessTtlMs: 2_400_000 });
  });

  test("overrides apply last", () => {
    expect(loadConfig(["--port", "5"], { PARLEY_ACCESS_TTL: "1m" }, { port: 0, accessTtlMs: 1000 })).toMatchObject({ port: 0, accessTtlMs: 1000 });
  });

  test("every bad value is reported, each naming where it came from", () => {
    const found = problems(["--port", "abc", "--bogus", "x", "--host"], {
      PARLEY_ACCESS_TTL: "40",
      PARLEY_REFRESH_TTL: "0",
      PARLEY_MAX_JSON_BYTES: "lots",
      PARLEY_MAX_UPLOAD_BYTES: "0",
      PARLEY_JWT_SECRET: "too short",
      PARLEY_CORS_ORIGINS: "chat.example.com",
      PARLEY_LOG_LEVEL: "loud",
      PARLEY_DURABILITY: "sometimes",
      PARLEY_PASSWORD_MEMORY_KIB: "8",
      PARLEY_PASSWORD_TIME_COST: "1.5",
    });
    const expected = [
      "--port",
      "unknown option --bogus",
      "--host needs a value",
      "PARLEY_ACCESS_TTL",
      "PARLEY_REFRESH_TTL",
      "PARLEY_MAX_JSON_BYTES",
      "PARLEY_MAX_UPLOAD_BYTES",
      "PARLEY_JWT_SECRET",
      "PARLEY_CORS_ORIGINS",
      "PARLEY_LOG_LEVEL",
      "PARLEY_DURABILITY",
      "PARLEY_PASSWORD_MEMORY_KIB",
      "PARLEY_PASSWORD_TIME_COST",
    ];
    for (const name of expected)
      expect(
        found.some((p) => p.includes(name)),
        name,
      ).toBe(true);
    // An unknown option's value goes with it: "x" is not reported as a second unknown option.
    expect(found).not.toContain("unknown option x");
    expect(found).toHaveLength(expected.length);
    // The secret itself is never repeated in a message.
    expect(found.join(" ")).not.toContain("too short");
  });

  test.each([
    ["port 65536", ["--port", "65536"], {}],
    ["port -1", ["--port", "-1"], {}],
    ["port 80.5", ["--port", "80.5"], {}],
    ["a zero access TTL", [], { PARLEY_ACCESS_TTL: "0" }],
    ["a sweep interval of 'soon'", [], { PARLEY_SWEEP_INTERVAL: "soon" }],
    ["a zero file URL TTL", [], { PARLEY_FILE_URL_TTL: "0" }],
    ["a blank host", [], { PARLEY_HOST: "   " }],
  ] as [string, string[], Record<string, string>][])("refuses %s", (_label, args, env) => {
    expect(problems(args, env)).toHaveLength(1);
  });

  test("the help text lists every variable", () => {
    const help = describeOptions();
    for (const name of [
      "PARLEY_PORT",
      "PARLEY_DATA_DIR",
      "PARLEY_JWT_SECRET",
      "PARLEY_ACCESS_TTL",
      "PARLEY_REFRESH_TTL",
      "PARLEY_MAX_JSON_BYTES",
      "PARLEY_MAX_UPLOAD_BYTES",
      "--port",
      "--data-dir",
    ]) {
      expect(help).toContain(name);
    }
  });
});

describe("the command line", () => {
  const run = (args: string[], env: Record<string, string> = {}) => parley(args, { env });

  test("a bad value exits 2 with one line on stderr", async () => {
    const { code, stderr, stdout } = await run(["--port", "abc"]);
    expect(code).toBe(2);
    expect(stderr).toStartWith("parley: bad configuration: ");
    expect(stderr).toContain("--port");
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stdout).toBe("");
  });

  test("every bad value is on that one line, from flags and from the environment", async () => {
    const { code, stderr } = await run(["serve", "--port", "abc"], { PARLEY_ACCESS_TTL: "forever", PARLEY_JWT_SECRET: "secret-but-short" });
    expect(code).toBe(2);
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith("parley: bad configuration: ");
    for (const name of ["--port", "PARLEY_ACCESS_TTL", "PARLEY_JWT_SECRET"]) expect(lines[0]).toContain(name);
    expect(stderr).not.toContain("secret-but-short");
  });

  test("an unknown command exits 2; version and --help exit 0", async () => {
    const unknown = await run(["launch"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toStartWith("parley: unknown command");
    const version = await run(["version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^parley \d+\.\d+\.\d+/);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("PARLEY_MAX_JSON_BYTES");
  });
});
