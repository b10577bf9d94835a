/** Help texts, printed verbatim on stdout for --help; each command's own usage lives with the command. */
import { DEFAULT_URL } from "./args.mjs";
import { COMMANDS } from "./commands/index.mjs";

const GLOBAL_USAGE = `Global options:
  --url URL        relay origin (env WAN_RELAY_URL, default ${DEFAULT_URL})
  --key KEY        client API key (env WAN_RELAY_KEY; required). Prefer the
                   environment variable: command-line arguments are visible
                   to other users in the process list.
  -h, --help       show help`;

const MAIN_USAGE = `Usage: wan-relay <command> [options]

Client for a wan-relay server: video generation with any model of its catalogue
(default Wan 2.5 text-to-video), called back when done.

Commands:
  generate "<prompt>"   create a generation (optionally wait and download it)
  status ID             show a generation (optionally wait and download it)
  list                  list your generations, newest first
  cancel ID             cancel a generation that has not finished
  purge ID              delete a generation and everything it stored (cancels it first if running)
  events ID             show a generation's timeline
  download ID --out F   download a completed generation's video to F
  models [MODEL]        list the models, or show one model's inputs

Run "wan-relay <command> --help" for a command's options.

${GLOBAL_USAGE}

JSON from the API is printed on stdout; progress and errors on stderr.
Exit codes: 0 success, 1 generation failed/canceled or API error,
2 usage error, 130 interrupted while waiting (the generation keeps running).`;

/** @param {string} topic "main" or a command name */
export function helpText(topic) {
  return topic === "main" ? MAIN_USAGE : `${COMMANDS[topic].usage}\n\n${GLOBAL_USAGE}`;
}
