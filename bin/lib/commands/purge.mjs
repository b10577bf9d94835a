import { idPath, requestJson } from "../http.mjs";
import { printJson } from "../output.mjs";

export const usage = `Usage: wan-relay purge ID

Deletes a generation for good: cancels it first if it is still running (no
webhook is sent), then deletes its video, inputs, timeline and list entry.
Afterwards the relay answers 404 for ID. Prints {"id": ..., "purged": true}.`;

export const positionals = ["ID"];
export const options = {};

export async function run(conn, _values, [id]) {
  printJson(await requestJson(conn, "DELETE", `${idPath(id)}?purge=true`));
}
