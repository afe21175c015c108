// Human-written durations ("90s", "40m", "7d") and sizes ("25MiB", "1048576") as used in configuration.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/** Milliseconds from "90s", "40m", "7d", "1h30m"; a bare "0" means zero. Returns null when unreadable. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "0") return 0;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g)];
  // Every character must belong to an amount+unit ("10 s" and "1h 30m" included; "5m30" not).
  if (parts.length === 0 || parts.map((p) => p[0].replace(/\s+/g, "")).join("") !== trimmed.replace(/\s+/g, "")) return null;
  return Math.round(parts.reduce((total, [, amount, unit]) => total + Number(amount) * DURATION_UNITS[unit!]!, 0));
}

/** Bytes from "1048576", "25MiB", "10 MB". Returns null when unreadable. */
export function parseSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return null;
  const factor = match[2] ? SIZE_UNITS[match[2].toLowerCase()] : 1;
  return factor === undefined ? null : Math.floor(Number(match[1]) * factor);
}

/** "812 B", "1.4 MiB": sizes for people. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The shortest exact text for a duration: 60000 → "1m", 90000 → "90s", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"]) {
    const size = DURATION_UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
