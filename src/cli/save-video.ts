/** Writing a generation's video to a file, checked by the client against its sha256. */
import { open, rename, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Generation, WanRelay } from "../client/index.ts";
import { setDownloadCleanup } from "./interrupt.ts";
import { log } from "./output.ts";

/**
 * Streams the video to `out` through a temporary file in the same directory,
 * renamed only once the whole stream has passed the client's sha256 check,
 * so `out` is never left half-written or wrong.
 */
export async function saveVideo(relay: WanRelay, generation: string | Generation, out: string): Promise<void> {
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.part`);
  setDownloadCleanup(() => rmSync(temp, { force: true }));
  try {
    const stream = await relay.download(generation);
    const file = await open(temp, "w");
    let bytes = 0;
    try {
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await file.write(value);
        bytes += value.byteLength;
      }
    } finally {
      await file.close();
    }
    await rename(temp, out);
    log(`wrote ${bytes} bytes to ${out} (sha256 verified)`);
  } finally {
    setDownloadCleanup(null);
    await rm(temp, { force: true });
  }
}
