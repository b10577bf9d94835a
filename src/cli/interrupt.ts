/** Ctrl-C while waiting or downloading: leave the generation running and say how to pick it up again. */
import { EXIT_INTERRUPTED } from "./errors.ts";
import { log } from "./output.ts";

/** Set while a download is writing its temporary file, so Ctrl-C removes it. */
let downloadCleanup: (() => void) | null = null;
/** Set while a live progress line is on the terminal, so Ctrl-C ends it first. */
let progressCleanup: (() => void) | null = null;

export function setDownloadCleanup(cleanup: (() => void) | null): void {
  downloadCleanup = cleanup;
}

export function setProgressCleanup(cleanup: (() => void) | null): void {
  progressCleanup = cleanup;
}

export function onInterrupt(id: string): void {
  process.once("SIGINT", () => {
    progressCleanup?.();
    if (downloadCleanup !== null) {
      downloadCleanup();
      log(`\ninterrupted; download of ${id} abandoned (retry with: wan-relay download ${id} --out FILE)`);
    } else {
      log(`\ninterrupted; ${id} keeps running on the relay (resume with: wan-relay status ${id} --wait)`);
    }
    process.exit(EXIT_INTERRUPTED);
  });
}
