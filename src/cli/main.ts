#!/usr/bin/env node
/**
 * wan-relay: the command line client of a wan-relay deployment, built on the
 * package's typed client (src/client). The parts: args (parsing and the
 * connection), help, one module per command (commands/), wait (following a
 * generation with progress), save-video, inputs (--input and local files).
 *
 * Output rules: data on stdout (the API's JSON, pretty-printed, so it pipes
 * into jq; tables on a terminal for list, events and usage); progress,
 * warnings and errors on stderr.
 * Exit codes: 0 success; 1 the generation ended failed/canceled, or an API or
 * network error; 2 usage error; 130 interrupted (Ctrl-C) while waiting.
 */
import { WanRelayError } from "../client/index.ts";
import { connect, parseCommandLine } from "./args.ts";
import { COMMANDS } from "./commands/index.ts";
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "./errors.ts";
import { helpText } from "./help.ts";
import { log } from "./output.ts";
import { packageVersion } from "./version.ts";

/** `error 400 invalid_request: <message>`, and every other field the API named, so one run shows them all. */
function describeApiError(error: WanRelayError): string {
  if (error.status === null) return `error: ${error.message}`;
  let text = `error ${error.status} ${error.code}: ${error.message}`;
  for (const detail of error.details) if (detail.message !== error.message) text += `\n  also: ${detail.message}`;
  return text;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === "version") {
      process.stdout.write(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    if (parsed.kind === "help") {
      process.stdout.write(`${helpText(parsed.topic)}\n`);
      return EXIT_OK;
    }
    const { command, values, positionals } = parsed;
    await COMMANDS[command].run({ values, positionals, relay: () => connect(values, command) });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      log(`wan-relay: ${error.message}`);
      log(`Run "wan-relay ${error.command !== null ? `${error.command} ` : ""}--help" for usage.`);
      return EXIT_USAGE;
    }
    if (error instanceof WanRelayError) {
      log(describeApiError(error));
      return EXIT_FAILED;
    }
    if (error instanceof CliError) {
      log(error.message);
      return EXIT_FAILED;
    }
    log(`wan-relay: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_FAILED;
  }
}

// A reader that stops early (`wan-relay models | head`) closes the pipe: that ends the output, it is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? EXIT_OK);
});

process.exitCode = await main(process.argv.slice(2));
