/** What a command is: its help, its arguments (node:util parseArgs specs) and what it does. */
import type { ParseArgsConfig } from "node:util";
import type { WanRelay } from "../client/index.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;
/** Parsed options, by long name. */
export type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export interface CommandContext {
  values: Values;
  positionals: readonly string[];
  /** The client for `--url`/`--key` (or the environment); a usage error when no key is given. */
  relay(): WanRelay;
}

export interface Command {
  /** One line for the tool's own help, after the command's synopsis. */
  synopsis: string;
  summary: string;
  /** The command's --help text. */
  usage: () => string;
  positionals: readonly string[];
  /** Whether the last positional may be left out (e.g. `models [MODEL]`). */
  optionalPositional?: (values: Values) => boolean;
  options: Options;
  run(context: CommandContext): Promise<void>;
}

/** A string option's value, if given. */
export function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable string option's values, in order. */
export function stringOptions(values: Values, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return typeof value === "string" ? [value] : [];
}
