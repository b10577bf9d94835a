import type { Command } from "../command.ts";
import { printJson } from "../output.ts";
import { WAIT_OPTIONS, WAIT_USAGE, intervalMs, waitAndFinish, wantsWait } from "../wait.ts";

export const status: Command = {
  synopsis: "ID",
  summary: "show a generation (optionally wait and download it)",
  usage: () => `Usage: wan-relay status ID [--wait] [--out FILE] [--interval SECONDS]

Prints a generation as JSON.

Options:
${WAIT_USAGE}`,
  positionals: ["ID"],
  options: { ...WAIT_OPTIONS },
  async run({ values, positionals: [id = ""], relay: connect }) {
    const every = intervalMs(values, "status");
    const relay = connect();
    const generation = await relay.get(id);
    if (!wantsWait(values)) {
      printJson(generation);
      return;
    }
    await waitAndFinish(relay, generation, values, every);
  },
};
