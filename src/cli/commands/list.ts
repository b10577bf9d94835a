import {
  generationStatusValues,
  type Generation,
  type GenerationList,
  type GenerationStatus,
} from "../../client/index.ts";
import { stringOption, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { JSON_OPTION, JSON_USAGE, humanBytes, log, printJson, shortTime, table, wantsJson } from "../output.ts";

const isStatus = (value: string): value is GenerationStatus =>
  (generationStatusValues as readonly string[]).includes(value);

export const list: Command = {
  synopsis: "",
  summary: "list your generations, newest first",
  usage: () => `Usage: wan-relay list [--limit N] [--status S] [--cursor C] [--all] [--json]

Lists your generations, newest first: a table on a terminal, the API's
{data: [...], next_cursor} as JSON otherwise.

Options:
  --limit N       generations per page (the relay's default and maximum apply)
  --status S      only those with this status: ${generationStatusValues.join(" | ")}
  --cursor C      next_cursor from the previous page
  --all           every page, not only the first (JSON: one list, next_cursor null)
${JSON_USAGE}`,
  positionals: [],
  options: {
    limit: { type: "string" },
    status: { type: "string" },
    cursor: { type: "string" },
    all: { type: "boolean" },
    ...JSON_OPTION,
  },
  async run({ values, relay }) {
    const limitText = stringOption(values, "limit");
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !Number.isInteger(limit)) {
      throw new UsageError(`--limit must be a whole number, got "${limitText ?? ""}"`, "list");
    }
    const status = stringOption(values, "status");
    if (status !== undefined && !isStatus(status)) {
      throw new UsageError(`--status must be one of ${generationStatusValues.join(", ")}, got "${status}"`, "list");
    }
    const listing = relay().list({ limit, status, cursor: stringOption(values, "cursor") });
    let page: GenerationList;
    if (values["all"] === true) {
      const data: Generation[] = [];
      for await (const generation of listing) data.push(generation);
      page = { data, next_cursor: null };
    } else {
      page = await listing;
    }
    if (wantsJson(values)) {
      printJson(page);
      return;
    }
    const rows = page.data.map((generation) => [
      generation.id,
      generation.status,
      generation.model,
      shortTime(generation.created_at),
      generation.video === null ? "-" : humanBytes(generation.video.bytes),
    ]);
    process.stdout.write(table(["ID", "STATUS", "MODEL", "CREATED (UTC)", "VIDEO"], rows));
    if (page.next_cursor !== null) log(`more: wan-relay list --cursor ${page.next_cursor} (or --all)`);
  },
};
