import { idPath, requestJson } from "../http.mjs";
import { printJson } from "../output.mjs";
import { WAIT_OPTIONS, WAIT_USAGE, intervalMs, waitAndFinish, wantsWait } from "../wait.mjs";

export const usage = `Usage: wan-relay status ID [--wait] [--out FILE] [--interval SECONDS]

Prints a generation as JSON.

Options:
${WAIT_USAGE}`;

export const positionals = ["ID"];
export const options = { ...WAIT_OPTIONS };

export async function run(conn, values, [id]) {
  const every = intervalMs(values, "status");
  const generation = await requestJson(conn, "GET", idPath(id));
  if (!wantsWait(values)) return printJson(generation);
  await waitAndFinish(conn, generation, values, every);
}
