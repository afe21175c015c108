// Splitting a command's own arguments from the server options that loadConfig reads.

/** Bad usage: the command line prints it on one line and exits with 2. */
export class UsageError extends Error {}

export interface CommandArgs {
  /** The command's own flags: `--name value`, `--name=value`, or `true` for switches. */
  flags: Map<string, string | true>;
  positionals: string[];
  /** Everything else, for loadConfig (--port, --data-dir, ...). */
  configArgs: string[];
}

/**
 * `valued` and `switches` name the command's own flags; any other `--flag` is a configuration option and is
 * passed on with its value, so `parley backup out.db --data-dir ./data` and `--data-dir=./data` both work.
 */
export function splitArgs(args: string[], own: { valued?: string[]; switches?: string[] } = {}): CommandArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const configArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (own.switches?.includes(name)) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      flags.set(name, true);
    } else if (own.valued?.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      flags.set(name, value);
    } else {
      configArgs.push(arg);
      // Its value, unless the next word is another flag (then loadConfig reports the missing value).
      if (inline === undefined && i + 1 < args.length && !args[i + 1]!.startsWith("-")) configArgs.push(args[++i]!);
    }
  }
  return { flags, positionals, configArgs };
}
