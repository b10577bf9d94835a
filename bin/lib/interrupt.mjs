/** Ctrl-C while waiting or downloading: leave the generation running and say how to pick it up again. */
import { EXIT_INTERRUPTED } from "./errors.mjs";
import { log } from "./output.mjs";

/** Set while a download is writing its temporary file, so Ctrl-C removes it. */
let downloadCleanup = null;

export function setDownloadCleanup(cleanup) {
  downloadCleanup = cleanup;
}

export function onInterrupt(id) {
  process.once("SIGINT", () => {
    if (downloadCleanup !== null) {
      downloadCleanup();
      log(`\ninterrupted; download of ${id} abandoned (retry with: wan-relay download ${id} --out FILE)`);
    } else {
      log(`\ninterrupted; ${id} keeps running on the relay (resume with: wan-relay status ${id} --wait)`);
    }
    process.exit(EXIT_INTERRUPTED);
  });
}
