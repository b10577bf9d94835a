import type { TimelineEvent } from "../../client/index.ts";
import type { Command } from "../command.ts";
import { JSON_OPTION, JSON_USAGE, printJson, shortTime, table, wantsJson } from "../output.ts";

export const events: Command = {
  synopsis: "ID",
  summary: "show a generation's timeline",
  usage: () => `Usage: wan-relay events ID [--json]

Shows a generation's whole timeline, oldest first: every state change,
upstream poll outcome, storage step and webhook attempt. A table on a
terminal; JSON {data: [{at, type, detail}, ...], next_cursor: null} otherwise.

Options:
${JSON_USAGE}`,
  positionals: ["ID"],
  options: { ...JSON_OPTION },
  async run({ values, positionals: [id = ""], relay }) {
    const data: TimelineEvent[] = [];
    for await (const event of relay().events(id)) data.push(event);
    if (wantsJson(values)) {
      printJson({ data, next_cursor: null });
      return;
    }
    const rows = data.map((event) => [shortTime(event.at), event.type, compact(event.detail)]);
    process.stdout.write(table(["AT (UTC)", "TYPE", "DETAIL"], rows));
  },
};

/** `{"status": 200, "attempt": 1}` → `status=200 attempt=1`; nested values as JSON. */
function compact(detail: Readonly<Record<string, unknown>>): string {
  return Object.entries(detail)
    .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}
