import { downloadVideo } from "../download.mjs";
import { UsageError } from "../errors.mjs";
import { idPath, requestJson } from "../http.mjs";

export const usage = `Usage: wan-relay download ID --out FILE

Downloads a completed generation's MP4 to FILE, checking its sha256.

Options:
  --out FILE      where to write the video (required)`;

export const positionals = ["ID"];
export const options = { out: { type: "string" } };

export async function run(conn, values, [id]) {
  if (values.out === undefined) throw new UsageError("--out FILE is required", "download");
  // The Generation carries the sha256 to check the bytes against.
  const generation = await requestJson(conn, "GET", idPath(id));
  await downloadVideo(conn, id, values.out, generation.video?.sha256);
}
