/**
 * Serves a stored video from R2 with the HTTP caching and range semantics a
 * video player expects: Accept-Ranges, ETag (the SHA-256 of the bytes),
 * 304 on If-None-Match, 206 for one range, 416 for an unsatisfiable one.
 */
import type { StoredVideo } from "../generation/state.ts";
import { ApiError } from "../lib/errors.ts";
import { etagMatches, parseRange } from "./range.ts";

export async function serveVideo(bucket: R2Bucket, video: StoredVideo, request: Request): Promise<Response> {
  const etag = `"${video.sha256}"`;
  const headers = new Headers({
    "Accept-Ranges": "bytes",
    ETag: etag,
    "Content-Type": video.contentType,
    "Cache-Control": "private, max-age=3600",
  });
  if (etagMatches(request.headers.get("If-None-Match"), etag)) return new Response(null, { status: 304, headers });

  // If-Range with another validator means the client's partial copy is stale: send it all.
  const ifRange = request.headers.get("If-Range");
  const range =
    ifRange !== null && ifRange !== etag
      ? ({ kind: "none" } as const)
      : parseRange(request.headers.get("Range"), video.bytes);
  if (range.kind === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${video.bytes}`);
    return new Response(null, { status: 416, headers });
  }

  let body: ReadableStream | null = null;
  if (request.method === "HEAD") {
    if ((await bucket.head(video.key)) === null) throw missing();
  } else {
    const object = await bucket.get(
      video.key,
      range.kind === "range" ? { range: { offset: range.offset, length: range.length } } : {},
    );
    if (object === null) throw missing();
    body = object.body;
  }

  if (range.kind === "range") {
    headers.set("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${video.bytes}`);
    headers.set("Content-Length", String(range.length));
    return new Response(body, { status: 206, headers });
  }
  headers.set("Content-Length", String(video.bytes));
  return new Response(body, { status: 200, headers });
}

const missing = (): ApiError => new ApiError(404, "video_missing", "The stored video is missing from the bucket");
