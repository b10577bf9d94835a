/** Command-line parsing: which command, its options and positionals, and the client they connect with. */
import { parseArgs } from "node:util";
import { CLIENT_ERROR_CODES, WanRelay, WanRelayError } from "../client/index.ts";
import type { Command, Options, Values } from "./command.ts";
import { COMMANDS, type CommandName } from "./commands/index.ts";
import { UsageError } from "./errors.ts";

/** Where `npm start` serves the relay locally. */
export const DEFAULT_URL = "http://localhost:8787";

const GLOBAL_OPTIONS: Options = {
  url: { type: "string" },
  key: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

export type ParsedCommandLine =
  | { kind: "help"; topic: CommandName | "main" }
  | { kind: "version" }
  | { kind: "run"; command: CommandName; values: Values; positionals: string[] };

const isCommand = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(COMMANDS, name);

/**
 * Finds the command, then parses strictly with that command's options. The
 * first, lenient pass knows every option that takes a value, so that in
 * `wan-relay --url U generate …` the value U is not mistaken for the command.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const allOptions: Options = { ...GLOBAL_OPTIONS };
  for (const spec of Object.values(COMMANDS)) Object.assign(allOptions, spec.options);
  const loose = parseArgs({ args: [...argv], options: allOptions, allowPositionals: true, strict: false });
  const name = loose.positionals[0];
  if (name === undefined || name === "help") {
    // `wan-relay`, `wan-relay --help`, `wan-relay --version`, `wan-relay help [command]`.
    const topic = name === "help" ? loose.positionals[1] : undefined;
    if (isCommand(topic)) return { kind: "help", topic };
    if (loose.values["version"] === true) return { kind: "version" };
    if (loose.values["help"] === true || name === "help") return { kind: "help", topic: "main" };
    throw new UsageError("missing command");
  }
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}"`);
  const spec: Command = COMMANDS[name];
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...spec.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs' messages are already specific ("Unknown option '--foo'", "Option '--seed <value>' argument missing").
    throw new UsageError(error instanceof Error ? error.message : String(error), name);
  }
  if (parsed.values["help"] === true) return { kind: "help", topic: name };
  if (parsed.values["version"] === true) return { kind: "version" };
  const positionals = parsed.positionals.slice(1);
  const optional = spec.optionalPositional?.(parsed.values) === true ? 1 : 0;
  if (positionals.length < spec.positionals.length - optional) {
    throw new UsageError(`missing ${spec.positionals[positionals.length] ?? "argument"}`, name);
  }
  if (positionals.length > spec.positionals.length) {
    const hint = name === "generate" ? ' (quote the prompt: wan-relay generate "a cat surfing")' : "";
    throw new UsageError(`unexpected argument "${positionals[spec.positionals.length] ?? ""}"${hint}`, name);
  }
  return { kind: "run", command: name, values: parsed.values, positionals };
}

/** The client for this command line: flags win over the environment; the URL defaults to a local relay. */
export function connect(values: Values, command: CommandName): WanRelay {
  const flagKey = values["key"];
  const key = typeof flagKey === "string" ? flagKey : process.env["WAN_RELAY_KEY"];
  if (key === undefined || key.trim() === "") {
    throw new UsageError("no API key: pass --key KEY or set WAN_RELAY_KEY", command);
  }
  const flagUrl = values["url"];
  const envUrl = process.env["WAN_RELAY_URL"];
  const url =
    typeof flagUrl === "string" ? flagUrl : envUrl !== undefined && envUrl.trim() !== "" ? envUrl : DEFAULT_URL;
  try {
    return new WanRelay({ url, key });
  } catch (error) {
    if (error instanceof WanRelayError && error.code === CLIENT_ERROR_CODES.configuration) {
      throw new UsageError(`--url: ${error.message}`, command);
    }
    throw error;
  }
}
