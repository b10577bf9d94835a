/**
 * Streams a video from the upstream into R2 without holding the whole file:
 * a known length goes through a FixedLengthStream into one `put`; an unknown
 * length goes through a multipart upload with bounded part buffers. The byte
 * count and SHA-256 are computed on the way. A body cut short never becomes
 * an object: the put (or the multipart completion) fails instead.
 */
import { hex } from "../lib/encoding.ts";
import type { VideoDownload } from "../upstream/port.ts";

/**
 * Part size of a multipart copy, which holds one part in memory at a time.
 * R2 parts must be at least 5 MiB (except the last) and all the same size, so
 * 5 MiB is the least memory a copy can hold. An isolate has 128 MB and may
 * host many generations' objects copying at once: at 5 MiB each, ten
 * concurrent copies hold 50 MiB of part buffers and leave room for the rest.
 * A 60 MB video is then 12 parts, well under R2's limit of 10,000.
 */
const MULTIPART_PART_BYTES = 5 * 1024 * 1024;
export const VIDEO_CONTENT_TYPE = "video/mp4";
/** A download that sends no byte for this long is given up (and retried by the lifecycle). */
const COPY_IDLE_TIMEOUT_MS = 60_000;
/**
 * The most one read of the download takes. A fetch body left to choose hands
 * out a few KiB per read, and every read (then its digest and R2 writes)
 * costs the isolate about the same whatever its size: reading into buffers
 * of this size copies the simulator's 140 KB video in 5 reads instead of 35.
 */
const READ_CHUNK_BYTES = 64 * 1024;

export interface CopiedVideo {
  bytes: number;
  sha256: string;
}

/** A video stored in R2, as its generation remembers it. */
export interface StoredVideo extends CopiedVideo {
  /** R2 object key, derived from the generation id so a retried copy overwrites. */
  key: string;
  contentType: string;
}

class CopyError extends Error {
  override name = "CopyError";
}

/** The R2 key of a generation's video: deterministic, so a retried copy overwrites. */
export const videoKey = (generationId: string): string => `videos/${generationId}.mp4`;

export async function copyVideoToR2(
  bucket: R2Bucket,
  key: string,
  download: VideoDownload,
  options: { partBytes?: number; idleTimeoutMs?: number } = {},
): Promise<CopiedVideo> {
  const idleTimeoutMs = options.idleTimeoutMs ?? COPY_IDLE_TIMEOUT_MS;
  const digest = new crypto.DigestStream("SHA-256");
  const digestWriter = digest.getWriter();
  const sink =
    download.contentLength !== null
      ? fixedLengthSink(bucket, key, download.contentLength)
      : await multipartSink(bucket, key, options.partBytes ?? MULTIPART_PART_BYTES);
  const reader = chunkReader(download.body);
  const stall = new StallGuard(reader, idleTimeoutMs);
  let bytes = 0;
  try {
    // One chunk at a time: each write waits for R2 to take it (backpressure),
    // so memory stays bounded whatever the video's size.
    for (;;) {
      stall.reading();
      const { done, value } = await reader.read();
      stall.idle();
      if (stall.error !== null) throw stall.error;
      if (done) break;
      bytes += value.byteLength;
      await digestWriter.write(value);
      await sink.write(value);
    }
    stall.stop();
    const stored = await sink.close();
    if (download.contentLength !== null && (bytes !== download.contentLength || stored !== download.contentLength)) {
      throw new CopyError(`stored ${stored} of ${download.contentLength} bytes`);
    }
  } catch (caught) {
    stall.stop();
    // A read the stall guard canceled may reject with the runtime's own error.
    const error = stall.error ?? caught;
    await sink.abort(error);
    await reader.cancel(error).catch(() => undefined);
    // Aborting the digest rejects its `digest` promise: nobody wants it now.
    digest.digest.catch(() => undefined);
    await digestWriter.abort(error).catch(() => undefined);
    if (error instanceof CopyError) throw error;
    throw new CopyError(`copy cut after ${bytes} bytes: ${error instanceof Error ? error.message : String(error)}`);
  }
  await digestWriter.close();
  return { bytes, sha256: hex(await digest.digest) };
}

interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason: unknown): Promise<void>;
}

/**
 * Reads a download in chunks of up to READ_CHUNK_BYTES where the stream lets
 * the reader bring its buffer (a byte stream, as a fetch body is), each read
 * into a new buffer since the chunk is still being written when the next
 * read starts; any other stream as it gives its chunks.
 */
function chunkReader(body: ReadableStream<Uint8Array>): ChunkReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    const reader = body.getReader();
    return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) };
  }
  return {
    read: () => byob.read(new Uint8Array(READ_CHUNK_BYTES)),
    cancel: (reason) => byob.cancel(reason),
  };
}

/**
 * Gives up a download that sends no byte for `ms` (a stalled upstream must
 * not hold the alarm): a read that has waited that long is canceled. One
 * timer serves the whole copy: when it fires it looks at the read in
 * progress (if any) and sets itself again for the time left. A timer per
 * chunk read cost more than the rest of the copy's own work for a small video.
 */
class StallGuard {
  /** Set once the download has stalled: the copy fails with it. */
  error: CopyError | null = null;
  /** When the read in progress began; null between reads (writing to R2 is not waiting for the upstream). */
  private readSince: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null;

  constructor(
    private readonly reader: ChunkReader,
    private readonly ms: number,
  ) {
    this.timer = setTimeout(() => this.check(), ms);
  }

  reading(): void {
    this.readSince = Date.now();
  }

  idle(): void {
    this.readSince = null;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = null;
  }

  private check(): void {
    if (this.timer === null) return;
    const waitedMs = this.readSince === null ? 0 : Date.now() - this.readSince;
    if (waitedMs < this.ms) {
      this.timer = setTimeout(() => this.check(), this.ms - waitedMs);
      return;
    }
    this.timer = null;
    this.error = new CopyError(`no bytes for ${this.ms} ms`);
    // The read in progress ends (done, or rejected) and the copy loop finds `error`.
    this.reader.cancel(this.error).catch(() => undefined);
  }
}

interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  /** Finishes the object; resolves to the stored size. */
  close(): Promise<number>;
  abort(reason: unknown): Promise<void>;
}

/** Known length: one `put` fed through a FixedLengthStream, which R2 needs for a streamed body. */
function fixedLengthSink(bucket: R2Bucket, key: string, length: number): Sink {
  const fixed = new FixedLengthStream(length);
  const writer = fixed.writable.getWriter();
  const put = bucket.put(key, fixed.readable, { httpMetadata: { contentType: VIDEO_CONTENT_TYPE } });
  // Settled here so a failed copy never leaves an unhandled rejection behind.
  const settled = put.then(
    (object) => ({ ok: true as const, size: object.size }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return {
    write: (chunk) => writer.write(chunk),
    async close() {
      await writer.close();
      const result = await settled;
      if (!result.ok) throw result.error;
      return result.size;
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => undefined);
      await settled;
    },
  };
}

/**
 * Unknown length: a multipart upload through one part buffer, allocated at
 * the first byte (a copy that fails before any byte costs no memory) and
 * reused for every part once R2 has taken the previous one.
 */
async function multipartSink(bucket: R2Bucket, key: string, partBytes: number): Promise<Sink> {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType: VIDEO_CONTENT_TYPE } });
  const parts: R2UploadedPart[] = [];
  let buffer: Uint8Array | null = null;
  let filled = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    const part = buffer === null ? new Uint8Array(0) : buffer.subarray(0, filled);
    parts.push(await upload.uploadPart(parts.length + 1, part));
    filled = 0;
  };
  return {
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        buffer ??= new Uint8Array(partBytes);
        const take = Math.min(partBytes - filled, chunk.byteLength - offset);
        buffer.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        total += take;
        // R2 parts must all be the same size except the last.
        if (filled === partBytes) await flush();
      }
    },
    async close() {
      // The last part; an empty body still needs one part.
      if (filled > 0 || parts.length === 0) await flush();
      await upload.complete(parts);
      return total;
    },
    async abort() {
      await upload.abort().catch(() => undefined);
    },
  };
}
