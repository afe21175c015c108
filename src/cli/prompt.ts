// Questions on the terminal, like Django's createsuperuser: answers read line by line from stdin (a terminal
// or a pipe), prompts on stderr so stdout stays for results, and passwords never echoed on a terminal.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { UsageError } from "./args";

export interface Prompter {
  ask(question: string, options?: { secret?: boolean }): Promise<string>;
  close(): void;
}

export function createPrompter(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Prompter {
  const terminal = Boolean(input.isTTY);
  let muted = false;
  // readline echoes typed characters through its output; muting that stream hides a password as it is typed.
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input, output: echo, terminal });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(question, { secret = false } = {}) {
      output.write(question);
      muted = secret && terminal;
      const next = await lines.next();
      if (muted || !terminal) output.write("\n"); // a terminal echoed the Enter itself, unless muted
      muted = false;
      if (next.done) throw new UsageError(`no answer to "${question.trim()}" (stdin closed)`);
      return next.value;
    },
    close: () => rl.close(),
  };
}
