// Structured logs: one JSON object per line on stdout. Callers never pass tokens, passwords or message text.
import { writeSync } from "node:fs";
import type { LogLevel } from "../config";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Lines to stdout, gathered per event-loop turn into one write: a line per request at thousands of requests a
 * second would otherwise cost a system call each. Flushed synchronously when the process exits.
 */
function bufferedStdout(): (line: string) => void {
  let pending = "";
  let scheduled = false;
  const take = () => {
    scheduled = false;
    const text = pending;
    pending = "";
    return text;
  };
  // Asynchronous while serving (a slow reader of our stdout must not stall requests), synchronous at exit.
  const flush = () => {
    const text = take();
    if (text) process.stdout.write(text);
  };
  process.on("exit", () => {
    const text = take();
    if (text) writeSync(1, text);
  });
  return (line) => {
    pending += `${line}\n`;
    if (pending.length > 64 * 1024) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

let stdoutWriter: ((line: string) => void) | undefined;

export function createLogger(level: LogLevel, write: (line: string) => void = (stdoutWriter ??= bufferedStdout())): Logger {
  const at = (lvl: Exclude<LogLevel, "silent">) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
