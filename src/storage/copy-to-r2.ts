/**
 * Streams a video from the upstream into R2 without holding the whole file:
 * a known length goes through a FixedLengthStream into one `put`; an unknown
 * length goes through a multipart upload with bounded part buffers. The byte
 * count and SHA-256 are computed on the way. A body cut short never becomes
 * an object: the put (or the multipart completion) fails instead.
 */
import type { VideoDownload } from "../upstream/port.ts";

/** R2 parts must be at least 5 MiB (except the last) and all the same size. */
export const MULTIPART_PART_BYTES = 8 * 1024 * 1024;
export const VIDEO_CONTENT_TYPE = "video/mp4";

export interface CopiedVideo {
  bytes: number;
  sha256: string;
}

export class CopyError extends Error {
  override name = "CopyError";
}

/** The R2 key of a generation's video: deterministic, so a retried copy overwrites. */
export const videoKey = (generationId: string): string => `videos/${generationId}.mp4`;

export async function copyVideoToR2(
  bucket: R2Bucket,
  key: string,
  download: VideoDownload,
  options: { partBytes?: number } = {},
): Promise<CopiedVideo> {
  const digest = new crypto.DigestStream("SHA-256");
  const digestWriter = digest.getWriter();
  let bytes = 0;
  const meter = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      bytes += chunk.byteLength;
      await digestWriter.write(chunk);
      controller.enqueue(chunk);
    },
  });
  const metered = download.body.pipeThrough(meter);
  const httpMetadata = { contentType: VIDEO_CONTENT_TYPE };

  try {
    if (download.contentLength !== null) {
      const fixed = new FixedLengthStream(download.contentLength);
      const piping = metered.pipeTo(fixed.writable);
      const [put] = await Promise.all([bucket.put(key, fixed.readable, { httpMetadata }), piping]);
      if (bytes !== download.contentLength || put.size !== download.contentLength) {
        throw new CopyError(`stored ${put.size} of ${download.contentLength} bytes`);
      }
    } else {
      await multipartCopy(bucket, key, metered, options.partBytes ?? MULTIPART_PART_BYTES, httpMetadata);
    }
  } catch (error) {
    await digestWriter.abort(error).catch(() => undefined);
    if (error instanceof CopyError) throw error;
    throw new CopyError(`copy cut after ${bytes} bytes: ${error instanceof Error ? error.message : String(error)}`);
  }

  await digestWriter.close();
  const sha256 = hex(await digest.digest);
  return { bytes, sha256 };
}

async function multipartCopy(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  partBytes: number,
  httpMetadata: R2HTTPMetadata,
): Promise<void> {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata });
  const parts: R2UploadedPart[] = [];
  // One part buffer at a time: memory stays at `partBytes` whatever the video size.
  let buffer = new Uint8Array(partBytes);
  let filled = 0;
  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    parts.push(await upload.uploadPart(parts.length + 1, buffer.subarray(0, filled)));
    buffer = new Uint8Array(partBytes);
    filled = 0;
  };
  try {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let offset = 0;
      while (offset < value.byteLength) {
        const take = Math.min(partBytes - filled, value.byteLength - offset);
        buffer.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === partBytes) await flush();
      }
    }
    await flush();
    if (parts.length === 0) {
      // An empty body: R2 needs at least one part.
      parts.push(await upload.uploadPart(1, new Uint8Array(0)));
    }
    await upload.complete(parts);
  } catch (error) {
    await upload.abort().catch(() => undefined);
    throw error;
  }
}

export function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
