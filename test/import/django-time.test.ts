// Django's stored times, as the import reads them.
import { describe, expect, test } from "bun:test";
import { parseDjangoTime } from "../../src/modules/import/django";

describe("Django's stored times", () => {
  test("UTC text, with or without fractions and offsets, to epoch milliseconds", () => {
    expect(parseDjangoTime("2025-01-01 09:01:00")).toEqual({ ms: Date.parse("2025-01-01T09:01:00Z"), truncated: false });
    expect(parseDjangoTime("2026-11-24 15:09:17.008991")).toEqual({ ms: Date.parse("2026-11-24T15:09:17.008Z"), truncated: true });
    expect(parseDjangoTime("2026-11-24 15:09:17.5")).toEqual({ ms: Date.parse("2026-11-24T15:09:17.500Z"), truncated: false });
    expect(parseDjangoTime("2026-11-24 15:09:17.123000")).toEqual({ ms: Date.parse("2026-11-24T15:09:17.123Z"), truncated: false });
    expect(parseDjangoTime("2025-01-01T09:01:00+02:00")!.ms).toBe(Date.parse("2025-01-01T07:01:00Z"));
    expect(parseDjangoTime("2025-01-01 09:01:00-0530")!.ms).toBe(Date.parse("2025-01-01T14:31:00Z"));
    expect(parseDjangoTime("2025-01-01T09:01Z")!.ms).toBe(Date.parse("2025-01-01T09:01:00Z"));
  });

  test("anything else is unreadable", () => {
    for (const text of [null, "", "yesterday", "2025-02-30 10:00:00", "2025-01-01 24:00:00", "2025-01-01", "1735722060"])
      expect(parseDjangoTime(text)).toBeNull();
  });
});
