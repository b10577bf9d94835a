/** `--wait`: polling a generation until it ends, with progress on stderr, then the download if asked. */
import { downloadVideo } from "./download.mjs";
import { CliError, UsageError } from "./errors.mjs";
import { apiError, idPath, isTransient, send } from "./http.mjs";
import { onInterrupt } from "./interrupt.mjs";
import { log, printJson } from "./output.mjs";

const TERMINAL = new Set(["completed", "failed", "canceled"]);
/** While waiting, transient failures (network, 5xx, 429) are retried this many times in a row before giving up. */
const MAX_CONSECUTIVE_POLL_FAILURES = 5;
/** While waiting with no status change, a heartbeat line this often shows the wait is alive. */
const HEARTBEAT_MS = 30_000;

/** The options of every command that can wait. */
export const WAIT_OPTIONS = {
  wait: { type: "boolean" },
  out: { type: "string" },
  interval: { type: "string" },
};

export const WAIT_USAGE = `  --wait                  poll until completed/failed/canceled, print the final JSON
  --out FILE              download the video to FILE when completed (implies --wait)
  --interval SECONDS      polling interval while waiting (default 2)`;

export const wantsWait = (values) => values.wait === true || values.out !== undefined;

export function intervalMs(values, command) {
  if (values.interval === undefined) return 2_000;
  const seconds = Number(values.interval);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError(
      `--interval must be a number of seconds between 0.1 and 3600, got "${values.interval}"`,
      command,
    );
  }
  return seconds * 1000;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(generation) {
  const upstream = generation.upstream ?? {};
  const parts = [];
  if (typeof upstream.status === "string") parts.push(`upstream: ${upstream.status}`);
  if (typeof upstream.polls === "number") parts.push(`upstream polls: ${upstream.polls}`);
  return parts.length > 0 ? `${generation.status} (${parts.join(", ")})` : generation.status;
}

/**
 * Polls GET /v1/generations/ID until a terminal status. Prints a progress line
 * on stderr when the status or the upstream's status changes (and a heartbeat
 * now and then), so stdout stays pure JSON.
 */
async function waitForTerminal(conn, first, everyMs) {
  const started = Date.now();
  const elapsed = () => `[${((Date.now() - started) / 1000).toFixed(1)}s]`;
  let generation = first;
  let lastKey = null;
  let lastPrinted = 0;
  let failures = 0;
  onInterrupt(first.id);
  for (;;) {
    const key = `${generation.status}|${generation.upstream?.status ?? ""}`;
    if (key !== lastKey || Date.now() - lastPrinted >= HEARTBEAT_MS) {
      log(`${elapsed()} ${describe(generation)}`);
      lastKey = key;
      lastPrinted = Date.now();
    }
    if (TERMINAL.has(generation.status)) return generation;
    await sleep(everyMs);
    // Transient trouble (relay restarting, network blip) must not end a long wait; anything else must.
    let response;
    try {
      response = await send(conn, "GET", idPath(generation.id));
    } catch (error) {
      if (++failures > MAX_CONSECUTIVE_POLL_FAILURES) throw error;
      log(`${elapsed()} ${error.message}; retrying`);
      continue;
    }
    if (!response.ok) {
      const error = await apiError(response);
      if (!isTransient(response.status) || ++failures > MAX_CONSECUTIVE_POLL_FAILURES) throw error;
      log(`${elapsed()} ${error.message}; retrying`);
      continue;
    }
    failures = 0;
    generation = await response.json();
  }
}

/** Waits for `generation` to end and prints it; exit 1 unless completed; downloads if asked. */
export async function waitAndFinish(conn, generation, values, everyMs) {
  const final = await waitForTerminal(conn, generation, everyMs);
  printJson(final);
  if (final.status !== "completed") {
    const reason = final.error ? `${final.error.code}: ${final.error.message}` : "no reason given";
    throw new CliError(`generation ${final.id} ${final.status} (${reason})`);
  }
  if (values.out !== undefined) await downloadVideo(conn, final.id, values.out, final.video?.sha256);
}
