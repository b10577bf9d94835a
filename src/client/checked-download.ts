/**
 * A video download that checks itself: the bytes pass through as they come,
 * hashed on the way (SHA-256, incrementally: WebCrypto only digests whole
 * buffers), and the stream ends with an error instead of closing when they do
 * not hash to the Generation's `video.sha256`.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { CLIENT_ERROR_CODES, describeCause, WanRelayError } from "./errors.ts";
import { readWithin } from "./runtime.ts";

/** A download that delivers no byte for this long is dead (no cap on the total: videos can be large). */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 60_000;

export interface CheckedDownloadOptions {
  /** The expected SHA-256, hex (the Generation's `video.sha256`). */
  sha256: string;
  /** Ends the request (called on a stall, and when the reader cancels). */
  abortRequest: () => void;
  /** Called once when the stream ends, however it ends. */
  onEnd?: () => void;
  idleTimeoutMs?: number;
}

export function checkedDownload(
  body: ReadableStream<Uint8Array>,
  options: CheckedDownloadOptions,
): ReadableStream<Uint8Array> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DOWNLOAD_IDLE_TIMEOUT_MS;
  const expected = options.sha256.toLowerCase();
  const hash = sha256.create();
  const reader = body.getReader();
  let bytes = 0;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    options.onEnd?.();
  };
  const stalled = (): WanRelayError => {
    options.abortRequest();
    return new WanRelayError(`the download sent nothing for ${idleTimeoutMs / 1000}s`, {
      code: CLIENT_ERROR_CODES.timeout,
    });
  };
  // Pull-based: a read is outstanding only while the consumer wants bytes, so a
  // slow consumer never looks like a stalled connection.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await readWithin(reader, idleTimeoutMs, stalled);
      } catch (error) {
        end();
        controller.error(
          error instanceof WanRelayError
            ? error
            : new WanRelayError(`the download broke after ${bytes} bytes: ${describeCause(error)}`, {
                code: CLIENT_ERROR_CODES.network,
                cause: error,
              }),
        );
        return;
      }
      if (chunk.done) {
        end();
        const actual = bytesToHex(hash.digest());
        if (actual === expected) {
          controller.close();
        } else {
          controller.error(
            new WanRelayError(`the downloaded video does not match: sha256 ${actual}, expected ${expected}`, {
              code: CLIENT_ERROR_CODES.checksumMismatch,
            }),
          );
        }
        return;
      }
      hash.update(chunk.value);
      bytes += chunk.value.byteLength;
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      end();
      options.abortRequest();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}
