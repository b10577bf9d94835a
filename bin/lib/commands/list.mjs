import { requestJson } from "../http.mjs";
import { printJson } from "../output.mjs";

export const usage = `Usage: wan-relay list [--limit N] [--status S] [--cursor C]

Prints {data: [...], next_cursor} for your generations, newest first.

Options:
  --limit N       1..100 (server default 20)
  --status S      queued | generating | storing | completed | failed | canceled
  --cursor C      next_cursor from the previous page`;

export const positionals = [];
export const options = { limit: { type: "string" }, status: { type: "string" }, cursor: { type: "string" } };

export async function run(conn, values) {
  const query = new URLSearchParams();
  for (const name of ["limit", "status", "cursor"]) if (values[name] !== undefined) query.set(name, values[name]);
  const search = query.toString() === "" ? "" : `?${query}`;
  printJson(await requestJson(conn, "GET", `/v1/generations${search}`));
}
