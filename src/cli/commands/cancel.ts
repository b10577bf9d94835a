import type { Command } from "../command.ts";
import { printJson } from "../output.ts";

export const cancel: Command = {
  synopsis: "ID",
  summary: "cancel a generation that has not finished",
  usage: () => `Usage: wan-relay cancel ID

Cancels a generation that has not finished and prints it as JSON.`,
  positionals: ["ID"],
  options: {},
  async run({ positionals: [id = ""], relay }) {
    printJson(await relay().cancel(id));
  },
};
