#!/usr/bin/env node
/**
 * wan-relay: command line client for a wan-relay deployment (CONTRACT.md §8).
 *
 * Plain ESM with Node built-ins only, so it runs with whatever `node` is on the
 * PATH right after `npm ci` (Node >= 20: nothing newer than Node 20's API is
 * used). The parts live in bin/lib: args (parsing), help, http (API calls and
 * their errors), wait (--wait progress), download, and one module per command.
 *
 * Output rules: the API's JSON goes to stdout (pretty-printed) so it can be
 * piped into jq; progress, warnings and errors go to stderr.
 * Exit codes: 0 success; 1 the generation ended failed/canceled, or an API or
 * network error; 2 usage error; 130 interrupted (Ctrl-C) while waiting.
 */
import { connection, parseCommandLine } from "./lib/args.mjs";
import { COMMANDS } from "./lib/commands/index.mjs";
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "./lib/errors.mjs";
import { helpText } from "./lib/help.mjs";
import { log } from "./lib/output.mjs";

async function main(argv) {
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.help) {
      process.stdout.write(`${helpText(parsed.command)}\n`);
      return EXIT_OK;
    }
    const conn = connection(parsed.values, parsed.command);
    await COMMANDS[parsed.command].run(conn, parsed.values, parsed.positionals);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      log(`wan-relay: ${error.message}`);
      log(`Run "wan-relay ${error.command !== null ? `${error.command} ` : ""}--help" for usage.`);
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      log(error.message);
      return EXIT_FAILED;
    }
    log(`wan-relay: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_FAILED;
  }
}

process.exitCode = await main(process.argv.slice(2));
