// `parley createsuperuser`: a staff account, asked for on the terminal or given by a script
// (`--username --email --password-stdin`). The same rules as registering over the API apply.
import { Value } from "@sinclair/typebox/value";
import { createApp } from "../app";
import type { Config } from "../config";
import { AppError } from "../lib/errors";
import { registerBody, type RegisterBody } from "../modules/users/model";
import { register } from "../modules/users/service";
import { UsageError, type CommandArgs } from "./args";
import { createPrompter } from "./prompt";

export async function createSuperuser(config: Config, { flags }: CommandArgs): Promise<string> {
  const input = await gatherInput(flags);
  if (!Value.Check(registerBody, input)) {
    const error = Value.Errors(registerBody, input).First()!;
    throw new UsageError(`${error.path.slice(1) || "input"}: ${error.schema.error ?? error.message}`);
  }
  const parley = await createApp({ ...config, logLevel: "silent" });
  try {
    const user = await register(parley.ctx, input, null, { staff: true }); // the command line is not rate-limited
    return `superuser "${user.username}" created (id ${user.id})`;
  } catch (error) {
    if (error instanceof AppError && error.fields) {
      throw new UsageError(
        Object.entries(error.fields)
          .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
          .join("; "),
      );
    }
    throw error;
  } finally {
    await parley.close();
  }
}

async function gatherInput(flags: CommandArgs["flags"]): Promise<RegisterBody> {
  const given = (name: string) => (typeof flags.get(name) === "string" ? (flags.get(name) as string) : undefined);
  const prompter = createPrompter();
  try {
    const username = given("--username") ?? (await prompter.ask("Username: ")).trim();
    const email = given("--email") ?? (await prompter.ask("Email address: ")).trim();
    let password: string;
    if (flags.has("--password-stdin")) {
      password = await prompter.ask("");
    } else {
      password = await prompter.ask("Password: ", { secret: true });
      const again = await prompter.ask("Password (again): ", { secret: true });
      if (password !== again) throw new UsageError("the two passwords differ");
    }
    return { username, email, password };
  } finally {
    prompter.close();
  }
}
