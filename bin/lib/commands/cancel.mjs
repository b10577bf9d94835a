import { idPath, requestJson } from "../http.mjs";
import { printJson } from "../output.mjs";

export const usage = `Usage: wan-relay cancel ID

Cancels a generation that has not finished and prints it as JSON.`;

export const positionals = ["ID"];
export const options = {};

export async function run(conn, _values, [id]) {
  printJson(await requestJson(conn, "DELETE", idPath(id)));
}
