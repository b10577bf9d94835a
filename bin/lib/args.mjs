/** Command-line parsing: which command, its options and positionals, and where to connect. */
import { parseArgs } from "node:util";
import { COMMANDS } from "./commands/index.mjs";
import { UsageError } from "./errors.mjs";

export const DEFAULT_URL = "http://localhost:8787";

const GLOBAL_OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/**
 * Finds the command, then parses strictly with that command's options. The
 * first, lenient pass knows every option that takes a value, so that in
 * `wan-relay --url U generate …` the value U is not mistaken for the command.
 * Returns `{command, help: true}` for a help request ("main" for the tool's own).
 */
export function parseCommandLine(argv) {
  const allOptions = { ...GLOBAL_OPTIONS };
  for (const spec of Object.values(COMMANDS)) Object.assign(allOptions, spec.options);
  const loose = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: false });
  const command = loose.positionals[0];
  if (command === undefined || command === "help") {
    // `wan-relay`, `wan-relay --help`, `wan-relay help [command]`.
    const topic = command === "help" ? loose.positionals[1] : undefined;
    if (topic !== undefined && (topic === "main" || Object.hasOwn(COMMANDS, topic)))
      return { command: topic, help: true };
    if (loose.values.help === true || command === "help") return { command: "main", help: true };
    throw new UsageError("missing command");
  }
  if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"`);
  const spec = COMMANDS[command];
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...spec.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs' messages are already specific ("Unknown option '--foo'", "Option '--seed <value>' argument missing").
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
  if (parsed.values.help === true) return { command, help: true };
  const positionals = parsed.positionals.slice(1);
  // Some commands take a last positional that may be left out (`models [MODEL]`, `generate` with --model).
  const optional = spec.optionalPositional?.(parsed.values) === true ? 1 : 0;
  if (positionals.length < spec.positionals.length - optional) {
    throw new UsageError(`missing ${spec.positionals[positionals.length]}`, command);
  }
  if (positionals.length > spec.positionals.length) {
    const hint = command === "generate" ? ' (quote the prompt: wan-relay generate "a cat surfing")' : "";
    throw new UsageError(`unexpected argument "${positionals[spec.positionals.length]}"${hint}`, command);
  }
  return { command, help: false, values: parsed.values, positionals };
}

/** Connection settings: flags win over the environment. */
export function connection(values, command) {
  const key = values.key ?? process.env.WAN_RELAY_KEY;
  if (key === undefined || key.trim() === "") {
    throw new UsageError("no API key: pass --key KEY or set WAN_RELAY_KEY", command);
  }
  const rawUrl = values.url ?? process.env.WAN_RELAY_URL ?? DEFAULT_URL;
  let base;
  try {
    base = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url is not a valid URL: ${rawUrl}`, command);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new UsageError(`--url must be http: or https:, got ${rawUrl}`, command);
  }
  // Keep a path prefix if the relay is mounted under one, without a trailing slash.
  return { base: base.origin + base.pathname.replace(/\/+$/, ""), key: key.trim() };
}
