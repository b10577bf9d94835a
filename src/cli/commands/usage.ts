import { stringOption, type Command } from "../command.ts";
import { JSON_OPTION, JSON_USAGE, humanBytes, printJson, table, wantsJson } from "../output.ts";

export const usage: Command = {
  synopsis: "",
  summary: "count your generations by status and model, their stored videos and this month's credits",
  usage: () => `Usage: wan-relay usage [--since DATE] [--json]

Counts the generations the relay still keeps for your key, by status and by
model, the videos stored for them, and what your generations cost upstream
this month against your budget. A table on a terminal; the API's JSON
otherwise.

Options:
  --since DATE    only those created at or after DATE (ISO-8601: 2026-08-01 or
                  2026-08-01T12:00:00Z)
${JSON_USAGE}`,
  positionals: [],
  options: { since: { type: "string" }, ...JSON_OPTION },
  async run({ values, relay }) {
    const report = await relay().usage({ since: stringOption(values, "since") });
    if (wantsJson(values)) {
      printJson(report);
      return;
    }
    const statuses = Object.entries(report.by_status).map(([status, count]) => [status, String(count)]);
    const models = Object.entries(report.by_model).map(([model, count]) => [model, String(count)]);
    process.stdout.write(`since: ${report.since ?? "the start"}\n\n`);
    process.stdout.write(table(["STATUS", "GENERATIONS"], statuses));
    process.stdout.write("\n");
    process.stdout.write(table(["MODEL", "GENERATIONS"], models));
    process.stdout.write(`\nvideos stored: ${report.videos.count} (${humanBytes(report.videos.bytes)})\n`);
    const { credits } = report;
    const budget = credits.budget === null ? "no budget" : `of a budget of ${credits.budget}`;
    process.stdout.write(
      `upstream credits, ${credits.month}: ${credits.used} ${budget} (resets ${credits.resets_at})\n`,
    );
  },
};
