/**
 * The upstream port: everything the relay needs from a video generator.
 * Two adapters implement it: `aimlapi/` (the real AI/ML API over HTTP) and
 * `simulator/` (built in, used when AIMLAPI_KEY is unset).
 *
 * Adapters never throw for answers they understand: every outcome the
 * lifecycle has a rule for is a value. A throw means a bug.
 */

export const DEFAULT_MODEL = "alibaba/wan2.5-t2v-preview";

/**
 * The body of the upstream's create call (CONTRACT.md §1, §9): `model` and
 * exactly the caller's fields for that model, under the names its published
 * schema uses, `data:` URIs included as sent.
 */
export type UpstreamInput = { model: string } & Record<string, unknown>;

export type SubmitOutcome =
  /** The upstream took the task. */
  | { kind: "accepted"; upstreamId: string }
  /** The upstream answered that it did not take the task (5xx, 429): safe to send again. */
  | { kind: "retryable"; reason: string; retryAfterMs?: number }
  /** The upstream refused the task for good (400, 401, 403, ...). */
  | { kind: "rejected"; reason: string; httpStatus: number }
  /** We cannot know whether the task was taken (network error after sending). */
  | { kind: "uncertain"; reason: string };

export type PollOutcome =
  /** A status answer. `status` is the upstream's own word; `error` its raw error value. */
  | { kind: "status"; status: string; videoUrl: string | null; error: unknown }
  /** No usable answer this time (5xx, 429, network error, not JSON): ask again later. */
  | { kind: "retryable"; reason: string; retryAfterMs?: number }
  /** The upstream says it does not know this task (404). */
  | { kind: "lost"; reason: string };

export interface VideoDownload {
  body: ReadableStream<Uint8Array>;
  /** From Content-Length; null when the upstream did not send one. */
  contentLength: number | null;
  contentType: string | null;
}

export type DownloadOutcome =
  | { kind: "ok"; download: VideoDownload }
  /** `permanent`: the link itself is refused, so asking again cannot help. */
  | { kind: "failed"; reason: string; retryAfterMs?: number; permanent?: boolean };

export interface Upstream {
  /** Which adapter this is, for the timeline. */
  readonly name: "aimlapi" | "simulator";
  submit(input: UpstreamInput): Promise<SubmitOutcome>;
  poll(upstreamId: string): Promise<PollOutcome>;
  download(videoUrl: string): Promise<DownloadOutcome>;
}
