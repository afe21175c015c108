// The token bucket's arithmetic (with a clock we move by hand), the client address key, and the limit options.
import { describe, expect, test } from "bun:test";
import { ConfigError, describeOptions, loadConfig } from "../../src/config";
import { addressKey, clientIpSource, NO_SOCKET } from "../../src/lib/client-ip";
import { RateLimitedError } from "../../src/lib/errors";
import { createRateLimits, enforce, MemoryRateLimiter, pruneRateLimits, unlimited } from "../../src/lib/rate-limit";
import { run } from "../process-helpers";

function clockAt(start = 1_000_000) {
  const clock = { now: start, tick: (ms: number) => (clock.now += ms) };
  return clock;
}

describe("MemoryRateLimiter", () => {
  test("a full bucket allows a burst of `capacity`, then refuses with the time until the next token", () => {
    const clock = clockAt();
    const limiter = new MemoryRateLimiter({ capacity: 5, periodMs: 60_000 }, () => clock.now); // a token every 12 s
    for (let i = 0; i < 5; i++) expect(limiter.take("a")).toEqual({ ok: true, retryAfterMs: 0 });
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 12_000 });
    clock.tick(5_000);
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 7_000 });
    // Other keys have their own buckets.
    expect(limiter.take("b").ok).toBe(true);
  });

  test("refills by elapsed time, never past the capacity", () => {
    const clock = clockAt();
    const limiter = new MemoryRateLimiter({ capacity: 4, periodMs: 4_000 }, () => clock.now); // one a second
    for (let i = 0; i < 4; i++) limiter.take("k");
    expect(limiter.take("k").ok).toBe(false);
    clock.tick(1_000);
    expect(limiter.take("k").ok).toBe(true);
    expect(limiter.take("k").ok).toBe(false);
    clock.tick(2_500); // 2.5 tokens
    expect(limiter.take("k").ok).toBe(true);
    expect(limiter.take("k").ok).toBe(true);
    expect(limiter.take("k")).toEqual({ ok: false, retryAfterMs: 500 });
    clock.tick(3_600_000); // an hour idle refills to 4, not more
    for (let i = 0; i < 4; i++) expect(limiter.take("k").ok).toBe(true);
    expect(limiter.take("k").ok).toBe(false);
  });

  test("a refused take costs nothing; a clock going backwards adds nothing", () => {
    const clock = clockAt();
    const limiter = new MemoryRateLimiter({ capacity: 2, periodMs: 2_000 }, () => clock.now);
    limiter.take("k", 2);
    for (let i = 0; i < 10; i++) expect(limiter.take("k").ok).toBe(false);
    clock.tick(1_000);
    expect(limiter.take("k").ok).toBe(true); // the refused tries did not dig a hole
    clock.tick(-5_000);
    expect(limiter.take("k").ok).toBe(false);
  });

  test("costs: bytes are taken in one go; the wait is for the whole cost; a cost above the capacity needs a full bucket", () => {
    const clock = clockAt();
    const MiB = 1024 ** 2;
    const limiter = new MemoryRateLimiter({ capacity: 10 * MiB, periodMs: 10_000 }, () => clock.now); // 1 MiB/s
    expect(limiter.take("u", 6 * MiB).ok).toBe(true);
    expect(limiter.take("u", 6 * MiB)).toEqual({ ok: false, retryAfterMs: 2_000 });
    expect(limiter.take("u", 4 * MiB).ok).toBe(true);
    expect(limiter.take("u", 50 * MiB)).toEqual({ ok: false, retryAfterMs: 10_000 });
    clock.tick(10_000);
    expect(limiter.take("u", 50 * MiB).ok).toBe(true);
    expect(limiter.take("u", 1).ok).toBe(false);
  });

  test("over a long run, what is allowed is the burst plus the refill rate times the time", () => {
    const clock = clockAt();
    const limiter = new MemoryRateLimiter({ capacity: 20, periodMs: 4_000 }, () => clock.now); // 20, then 5/s
    let allowed = 0;
    for (let t = 0; t < 60_000; t += 7) {
      if (limiter.take("greedy").ok) allowed++;
      clock.tick(7);
    }
    expect(allowed).toBeGreaterThanOrEqual(20 + 5 * 60 - 1);
    expect(allowed).toBeLessThanOrEqual(20 + 5 * 60);
  });

  test("prune drops exactly the buckets that have refilled completely", () => {
    const clock = clockAt();
    const limiter = new MemoryRateLimiter({ capacity: 10, periodMs: 10_000 }, () => clock.now);
    limiter.take("busy", 10);
    limiter.take("light", 1);
    expect(limiter.size).toBe(2);
    expect(limiter.prune()).toBe(0);
    clock.tick(1_000); // light is full again, busy holds 1
    expect(limiter.prune()).toBe(1);
    expect(limiter.size).toBe(1);
    expect(limiter.take("busy", 2).ok).toBe(false); // pruning kept its state
    clock.tick(9_000);
    expect(limiter.prune()).toBe(1);
    expect(limiter.size).toBe(0);
  });

  test("many keys: memory is bounded by the keys active within one period", () => {
    const clock = clockAt();
    const limits = createRateLimits(loadConfig([], {}), () => clock.now);
    for (let i = 0; i < 10_000; i++) limits.loginPerAccount.take(`guess${i}@example.com`);
    expect((limits.loginPerAccount as MemoryRateLimiter).size).toBe(10_000);
    clock.tick(60_000); // one token back each: 5/5m refills one a minute
    expect(pruneRateLimits(limits)).toBe(10_000);
    expect((limits.loginPerAccount as MemoryRateLimiter).size).toBe(0);
  });

  test("PARLEY_RATE_LIMITS=off: every limiter is unlimited", async () => {
    const limits = createRateLimits(loadConfig([], { PARLEY_RATE_LIMITS: "off" }));
    for (const limiter of Object.values(limits)) expect(limiter).toBe(unlimited);
    for (let i = 0; i < 1000; i++) expect((await limits.loginPerIp.take("x", 1e12)).ok).toBe(true);
  });

  test("enforce throws a 429 rate_limited AppError carrying the wait, rounded up to whole seconds", async () => {
    const clock = clockAt();
    const limiter = new MemoryRateLimiter({ capacity: 1, periodMs: 1_500 }, () => clock.now);
    await enforce(limiter, "k", "Slow down.");
    let error: unknown;
    try {
      await enforce(limiter, "k", "Slow down.");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RateLimitedError);
    const limited = error as RateLimitedError;
    expect([limited.status, limited.code, limited.retryAfterMs, limited.retryAfterSeconds]).toEqual([429, "rate_limited", 1_500, 2]);
    expect(limited.message).toBe("Slow down. Try again in 2 seconds.");
    expect(new RateLimitedError("x", 1).retryAfterSeconds).toBe(1);
    expect(new RateLimitedError("x", 3_000).retryAfterSeconds).toBe(3);
    expect(new RateLimitedError("x", 3_001).retryAfterSeconds).toBe(4);
  });
});

describe("client address", () => {
  const server = (address: string | null) => ({ requestIP: () => (address === null ? null : { address }) });
  const request = (headers: Record<string, string> = {}) => new Request("http://localhost/api/login/", { headers });

  test("the socket's address; X-Forwarded-For is ignored unless PARLEY_TRUST_PROXY is on", () => {
    const direct = clientIpSource(false);
    expect(direct(request({ "x-forwarded-for": "9.9.9.9" }), server("10.1.2.3"))).toBe("10.1.2.3");
    expect(direct(request(), null)).toBe(NO_SOCKET);
    const proxied = clientIpSource(true);
    // The last entry is what our proxy saw; entries before it are the client's own claims.
    expect(proxied(request({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }), server("127.0.0.1"))).toBe("203.0.113.7");
    expect(proxied(request({ "x-forwarded-for": "203.0.113.8" }), null)).toBe("203.0.113.8");
    expect(proxied(request(), server("127.0.0.1"))).toBe("127.0.0.1");
    expect(proxied(request({ "x-forwarded-for": "not an address" }), server("127.0.0.1"))).toBe("127.0.0.1");
  });

  test.each([
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::9", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff::1%eth0", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
  ])("%p is keyed as %p", (address, key) => expect(addressKey(address)).toBe(key));
});

describe("limit options", () => {
  test("defaults, and <capacity>/<period> from the environment", () => {
    const defaults = loadConfig([], {});
    expect(defaults).toMatchObject({
      trustProxy: false,
      rateLimits: true,
      limitLoginIp: { capacity: 10, periodMs: 60_000 },
      limitLoginAccount: { capacity: 5, periodMs: 300_000 },
      limitRegisterIp: { capacity: 5, periodMs: 600_000 },
      limitRefreshIp: { capacity: 30, periodMs: 60_000 },
      limitRefreshAccount: { capacity: 10, periodMs: 60_000 },
      limitSend: { capacity: 20, periodMs: 4_000 },
      limitUploadBytes: { capacity: 200 * 1024 ** 2, periodMs: 600_000 },
      limitSearch: { capacity: 30, periodMs: 60_000 },
    });
    const config = loadConfig([], {
      PARLEY_TRUST_PROXY: "on",
      PARLEY_LIMIT_LOGIN_IP: "3/30s",
      PARLEY_LIMIT_LOGIN_ACCOUNT: "2/1h",
      PARLEY_LIMIT_REGISTER_IP: "1/1d",
      PARLEY_LIMIT_REFRESH_IP: "100/1m",
      PARLEY_LIMIT_REFRESH_ACCOUNT: "7/90s",
      PARLEY_LIMIT_SEND: " 50 / 10s ",
      PARLEY_LIMIT_UPLOAD_BYTES: "1GiB/1h",
      PARLEY_LIMIT_SEARCH: "5/10s",
    });
    expect(config).toMatchObject({
      trustProxy: true,
      limitLoginIp: { capacity: 3, periodMs: 30_000 },
      limitLoginAccount: { capacity: 2, periodMs: 3_600_000 },
      limitRegisterIp: { capacity: 1, periodMs: 86_400_000 },
      limitRefreshIp: { capacity: 100, periodMs: 60_000 },
      limitRefreshAccount: { capacity: 7, periodMs: 90_000 },
      limitSend: { capacity: 50, periodMs: 10_000 },
      limitUploadBytes: { capacity: 1024 ** 3, periodMs: 3_600_000 },
      limitSearch: { capacity: 5, periodMs: 10_000 },
    });
  });

  test.each(["10", "10/", "/1m", "0/1m", "10/0", "10/1", "ten/1m", "1.5/1m", "10/1m/2", "-1/1m", "10/soon"])("PARLEY_LIMIT_SEND=%p is refused", (value) => {
    expect(() => loadConfig([], { PARLEY_LIMIT_SEND: value })).toThrow(ConfigError);
  });

  test("a bad byte rate and a bad PARLEY_TRUST_PROXY are refused, each by name", () => {
    try {
      loadConfig([], { PARLEY_LIMIT_UPLOAD_BYTES: "lots/1m", PARLEY_TRUST_PROXY: "yes" });
      throw new Error("accepted");
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "PARLEY_TRUST_PROXY must be one of on, off",
        'PARLEY_LIMIT_UPLOAD_BYTES must be <size>/<period>, e.g. "200MiB/10m"',
      ]);
    }
  });

  test("--help lists every limit with its default", () => {
    const help = describeOptions();
    for (const line of [
      "PARLEY_TRUST_PROXY",
      "(default: off)",
      "PARLEY_LIMIT_LOGIN_IP",
      "(default: 10/1m)",
      "(default: 5/5m)",
      "(default: 5/10m)",
      "(default: 30/1m)",
      "(default: 10/1m)",
      "PARLEY_LIMIT_SEND",
      "(default: 20/4s)",
      "PARLEY_LIMIT_UPLOAD_BYTES",
      "(default: 200MiB/10m)",
      "PARLEY_LIMIT_SEARCH",
    ]) {
      expect(help).toContain(line);
    }
  });

  test("the server refuses to start with a bad limit: exit 2 and one line naming it", async () => {
    const { code, stderr } = await run(["serve"], { env: { PARLEY_LIMIT_LOGIN_IP: "many/1m" } });
    expect(code).toBe(2);
    expect(stderr.trimEnd().split("\n")).toEqual(['parley: bad configuration: PARLEY_LIMIT_LOGIN_IP must be <count>/<period>, e.g. "10/1m"']);
  });
});
