import { stringOption, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { saveVideo } from "../save-video.ts";

export const download: Command = {
  synopsis: "ID --out F",
  summary: "download a completed generation's video to F",
  usage: () => `Usage: wan-relay download ID --out FILE

Downloads a completed generation's MP4 to FILE, checking its sha256.

Options:
  --out FILE      where to write the video (required)`,
  positionals: ["ID"],
  options: { out: { type: "string" } },
  async run({ values, positionals: [id = ""], relay }) {
    const out = stringOption(values, "out");
    if (out === undefined) throw new UsageError("--out FILE is required", "download");
    await saveVideo(relay(), id, out);
  },
};
