/** Downloading a stored video, checked against the Generation's sha256. */
import { createHash } from "node:crypto";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CliError } from "./errors.mjs";
import { REQUEST_TIMEOUT_MS, apiError, idPath, networkError } from "./http.mjs";
import { setDownloadCleanup } from "./interrupt.mjs";
import { log } from "./output.mjs";

/** A download that delivers no byte for this long is considered dead (no cap on total time: videos can be large). */
const DOWNLOAD_IDLE_TIMEOUT_MS = 60_000;

/**
 * Streams the video to FILE through a temporary file in the same directory
 * (renamed at the end, so FILE is never left half-written), hashing on the way
 * and checking against the Generation's sha256 when known.
 */
export async function downloadVideo(conn, id, out, expected) {
  const controller = new AbortController();
  // Headers must arrive promptly; after that only an idle stall aborts (a big file may take long).
  let idleTimer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const resetIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => controller.abort(), DOWNLOAD_IDLE_TIMEOUT_MS);
  };
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.part`);
  setDownloadCleanup(() => rmSync(temp, { force: true }));
  try {
    let response;
    try {
      response = await fetch(`${conn.base}${idPath(id)}/video`, {
        headers: { Authorization: `Bearer ${conn.key}` },
        signal: controller.signal,
      });
    } catch (error) {
      throw networkError(conn, error);
    }
    if (!response.ok) throw await apiError(response);
    if (response.body === null) throw new CliError("error: the video response has no body");
    resetIdle();
    const hash = createHash("sha256");
    let bytes = 0;
    const meter = new Transform({
      transform(chunk, _encoding, callback) {
        resetIdle();
        hash.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body), meter, createWriteStream(temp));
    } catch (error) {
      if (error instanceof CliError) throw error;
      const why = controller.signal.aborted
        ? `no data for ${DOWNLOAD_IDLE_TIMEOUT_MS / 1000}s`
        : error instanceof Error
          ? error.message
          : String(error);
      throw new CliError(`error: download of ${id} failed: ${why}`);
    }
    const sha256 = hash.digest("hex");
    if (typeof expected === "string" && expected !== sha256) {
      throw new CliError(`error: downloaded video does not match: sha256 ${sha256}, expected ${expected}`);
    }
    renameSync(temp, out);
    log(`wrote ${bytes} bytes to ${out}${typeof expected === "string" ? " (sha256 verified)" : ""}`);
  } finally {
    clearTimeout(idleTimer);
    setDownloadCleanup(null);
    rmSync(temp, { force: true });
  }
}
