/** `--wait`: following a generation to its end with progress on stderr, then the download if asked. */
import type { Generation, WanRelay } from "../client/index.ts";
import type { Options, Values } from "./command.ts";
import { CliError, UsageError } from "./errors.ts";
import { onInterrupt } from "./interrupt.ts";
import { printJson } from "./output.ts";
import { Progress } from "./progress.ts";
import { saveVideo } from "./save-video.ts";

const DEFAULT_INTERVAL_SECONDS = 2;

/** The options of every command that can wait. */
export const WAIT_OPTIONS: Options = {
  wait: { type: "boolean" },
  out: { type: "string" },
  interval: { type: "string" },
};

export const WAIT_USAGE = `  --wait                  follow the generation to its end (live, over the relay's
                          event stream), then print the final JSON
  --out FILE              download the video to FILE when completed (implies --wait)
  --interval SECONDS      polling interval if the live stream is cut (default ${DEFAULT_INTERVAL_SECONDS})`;

export const wantsWait = (values: Values): boolean => values["wait"] === true || typeof values["out"] === "string";

export function intervalMs(values: Values, command: string): number {
  const raw = values["interval"];
  if (typeof raw !== "string") return DEFAULT_INTERVAL_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError(`--interval must be a number of seconds between 0.1 and 3600, got "${raw}"`, command);
  }
  return seconds * 1000;
}

/** Waits for `generation` to end and prints it; exit 1 unless it completed; downloads if asked. */
export async function waitAndFinish(
  relay: WanRelay,
  generation: Generation,
  values: Values,
  pollIntervalMs: number,
): Promise<void> {
  onInterrupt(generation.id);
  const progress = new Progress();
  let final: Generation;
  try {
    final = await relay.wait(generation, {
      pollIntervalMs,
      onUpdate: (update) => progress.update(update),
      onRetry: (error) =>
        progress.notice(
          error.status === null
            ? `${error.message}; polling`
            : `error ${error.status} ${error.code}: ${error.message}; retrying`,
        ),
    });
  } finally {
    progress.stop();
  }
  printJson(final);
  if (final.status !== "completed") {
    const reason = final.error !== null ? `${final.error.code}: ${final.error.message}` : "no reason given";
    throw new CliError(`generation ${final.id} ${final.status} (${reason})`);
  }
  const out = values["out"];
  if (typeof out === "string") await saveVideo(relay, final, out);
}
