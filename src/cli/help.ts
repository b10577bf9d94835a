/** Help texts, printed on stdout for --help; each command's own usage lives with the command. */
import { DEFAULT_URL } from "./args.ts";
import { COMMANDS, type CommandName } from "./commands/index.ts";

const GLOBAL_USAGE = `Global options:
  --url URL        relay origin (env WAN_RELAY_URL, default ${DEFAULT_URL})
  --key KEY        client API key (env WAN_RELAY_KEY; required). Prefer the
                   environment variable: command-line arguments are visible
                   to other users in the process list.
  -h, --help       show help
  --version        print the version`;

function mainUsage(): string {
  const synopses = Object.entries(COMMANDS).map(([name, spec]) => `${name} ${spec.synopsis}`.trimEnd());
  const width = Math.max(...synopses.map((synopsis) => synopsis.length));
  const lines = Object.values(COMMANDS).map((spec, i) => `  ${(synopses[i] ?? "").padEnd(width)}   ${spec.summary}`);
  return `Usage: wan-relay <command> [options]

Client for a wan-relay server: video generation with any model of its
catalogue, called back when done.

Commands:
${lines.join("\n")}

Run "wan-relay <command> --help" for a command's options.

${GLOBAL_USAGE}

Data goes to stdout: the API's JSON, or a table on a terminal for list,
events and usage; progress and errors go to stderr.
Exit codes: 0 success, 1 generation failed/canceled or API error,
2 usage error, 130 interrupted while waiting (the generation keeps running).`;
}

export function helpText(topic: CommandName | "main"): string {
  return topic === "main" ? mainUsage() : `${COMMANDS[topic].usage()}\n\n${GLOBAL_USAGE}`;
}
