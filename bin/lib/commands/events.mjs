import { idPath, requestJson } from "../http.mjs";
import { printJson } from "../output.mjs";

export const usage = `Usage: wan-relay events ID

Prints a generation's timeline {data: [{at, type, detail}, ...]}, oldest first.`;

export const positionals = ["ID"];
export const options = {};

export async function run(conn, _values, [id]) {
  printJson(await requestJson(conn, "GET", `${idPath(id)}/events`));
}
