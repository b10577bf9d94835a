import type { Command } from "../command.ts";
import { printJson } from "../output.ts";

export const purge: Command = {
  synopsis: "ID",
  summary: "delete a generation and everything it stored (cancels it first if running)",
  usage: () => `Usage: wan-relay purge ID

Deletes a generation for good: cancels it first if it is still running (no
webhook is sent), then deletes its video, inputs, timeline and list entry.
Afterwards the relay answers 404 for ID. Prints {"id": ..., "purged": true}.`,
  positionals: ["ID"],
  options: {},
  async run({ positionals: [id = ""], relay }) {
    printJson(await relay().purge(id));
  },
};
