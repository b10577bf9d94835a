/**
 * Serves a stored video from R2 with the HTTP caching and range semantics a
 * video player expects: Accept-Ranges, ETag, 304 on If-None-Match, 206 for one
 * range, 416 for an unsatisfiable one. R2 applies the range and the
 * precondition (`range`/`onlyIf`) and the answer is built from what it returns;
 * this module only decides what to hand it.
 *
 * The ETag is the quoted SHA-256 of the bytes (the `video.sha256` the API
 * publishes), not R2's httpEtag: R2's is an MD5, or a composite one after a
 * multipart upload, so the same bytes would carry a different tag depending on
 * which copy path stored them. The object under a generation's key is written
 * once and never replaced, so a client holding this tag holds whatever is stored
 * there: a matching If-None-Match is handed to R2 as `If-None-Match: *`, which
 * fails (→ 304) exactly when the object exists.
 */
import type { StoredVideo } from "./copy-to-r2.ts";
import { ApiError } from "../lib/errors.ts";
import { decideRange } from "./range.ts";

export async function serveVideo(bucket: R2Bucket, video: StoredVideo, request: Request): Promise<Response> {
  const etag = `"${video.sha256}"`;
  const fresh = etagListMatches(request.headers.get("If-None-Match"), etag);
  // Preconditions come before Range (RFC 9110 §13.2.2); If-Range with another
  // validator means the client's partial copy is stale, so it gets it all.
  const ifRange = request.headers.get("If-Range");
  const range =
    fresh || (ifRange !== null && ifRange !== etag)
      ? ({ kind: "whole" } as const)
      : decideRange(request.headers.get("Range"), video.bytes);

  const headers = new Headers({ "Accept-Ranges": "bytes", ETag: etag });
  if (range.kind === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${video.bytes}`);
    return new Response(null, { status: 416, headers });
  }

  const object = await bucket.get(video.key, {
    range: range.kind === "single" ? new Headers({ Range: range.header }) : undefined,
    onlyIf: fresh ? new Headers({ "If-None-Match": "*" }) : undefined,
  });
  if (object === null) throw new ApiError(404, "video_missing", "The stored video is missing from the bucket");
  object.writeHttpMetadata(headers);
  if (!headers.has("Content-Type")) headers.set("Content-Type", video.contentType);
  headers.set("Cache-Control", "private, max-age=3600");
  // A precondition that failed comes back as an R2Object without a body.
  if (!("body" in object)) return new Response(null, { status: 304, headers });

  const { offset, length } = byteSpan(object.range, object.size);
  headers.set("Content-Length", String(length));
  if (range.kind === "single") headers.set("Content-Range", `bytes ${offset}-${offset + length - 1}/${object.size}`);
  let body: ReadableStream | null = object.body;
  if (request.method === "HEAD") {
    await body.cancel();
    body = null;
  }
  return new Response(body, { status: range.kind === "single" ? 206 : 200, headers });
}

/** Whether an If-None-Match list names `etag` (weak comparison, as for GET) or is `*`. */
function etagListMatches(ifNoneMatch: string | null, etag: string): boolean {
  return (ifNoneMatch ?? "")
    .split(",")
    .map((candidate) => candidate.trim().replace(/^W\//, ""))
    .some((candidate) => candidate === "*" || candidate === etag);
}

/**
 * R2 describes the range it served as offset/length or as a suffix, and the
 * runtime's object carries every field, the unused ones undefined.
 */
function byteSpan(range: R2Range | undefined, size: number): { offset: number; length: number } {
  const { offset, length, suffix }: { offset?: number; length?: number; suffix?: number } = range ?? {};
  if (suffix !== undefined) return { offset: size - Math.min(suffix, size), length: Math.min(suffix, size) };
  const start = offset ?? 0;
  return { offset: start, length: Math.min(length ?? size, size - start) };
}
