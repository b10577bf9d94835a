/**
 * The upstream port: everything the relay needs from a video generator.
 * Two adapters implement it: `aimlapi/` (the real AI/ML API over HTTP) and
 * `simulator/` (built in, used when AIMLAPI_KEY is unset).
 *
 * Adapters never throw for answers they understand: every outcome the
 * lifecycle has a rule for is a value. A throw means a bug. The vendor's
 * words stop here: an adapter reports a task's state in the relay's words
 * (`queued | running | completed | failed`) and its failure as a message;
 * the vendor's own status word travels along only to be shown.
 */
import type { UpstreamAdapter, UpstreamTaskState } from "../vocabulary.ts";

/**
 * The body of the upstream's create call (docs/api.md#models): `model` and
 * exactly the caller's fields for that model, under the names its published
 * schema uses, `data:` URIs included as sent.
 */
export type UpstreamInput = { model: string } & Record<string, unknown>;

export type SubmitOutcome =
  /** The upstream took the task; `credits` is what it says the task costs, when it says. */
  | { kind: "accepted"; upstreamId: string; credits: number | null }
  /** The upstream answered that it did not take the task (5xx, 429): safe to send again. */
  | { kind: "retryable"; reason: string; retryAfterMs?: number }
  /** The upstream refused the task for good (400, 401, 403, ...). */
  | { kind: "rejected"; reason: string; httpStatus: number }
  /** We cannot know whether the task was taken (network error after sending). */
  | { kind: "uncertain"; reason: string };

export type PollOutcome =
  /**
   * A status answer: `state` in the relay's words, `word` the upstream's own
   * (shown as `upstream.status`), the video's link once completed, and what
   * went wrong once failed.
   */
  | {
      kind: "status";
      state: UpstreamTaskState;
      word: string;
      videoUrl: string | null;
      failure: string | null;
      /** The task's cost in upstream credits, when the answer says (the latest figure replaces earlier ones). */
      credits: number | null;
    }
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
  readonly name: UpstreamAdapter;
  submit(input: UpstreamInput): Promise<SubmitOutcome>;
  poll(upstreamId: string): Promise<PollOutcome>;
  download(videoUrl: string): Promise<DownloadOutcome>;
}
