/**
 * The AI/ML API adapter (docs/api.md#the-upstream): create and poll over HTTP on the
 * universal endpoint, for every model of the catalogue, and download
 * the finished video from the signed object-store link. Every answer becomes
 * an outcome value; only bugs throw.
 *
 * Without a key (AIMLAPI_KEY unset after the generation was created with it)
 * submit and poll send nothing and answer "retry later": the generation waits
 * for the key to come back. The download needs no key.
 */
import { errorMessage } from "../../lib/errors.ts";
import { retryAfter } from "../../lib/retry-after.ts";
import type { DownloadOutcome, PollOutcome, SubmitOutcome, Upstream, UpstreamInput } from "../port.ts";
import { creditsOf, describeUpstreamError, isRecord, taskState } from "./status.ts";

/** The universal endpoint: every model is submitted and polled here (docs/api.md#the-upstream). */
const GENERATION_PATH = "/v2/video/generations";
/** A status poll: one that gets no answer in time is simply made again at the next interval. */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * A submission waits much longer than a poll (docs/architecture.md,
 * "Submission at most once"). Its timeout cannot tell "never sent" from
 * "sent, the answer not read yet", so one that fires fails the generation
 * `submit_uncertain`, never sends again, and a task the upstream took is
 * paid for and lost. The clock starts when `fetch` is called, before the
 * request is written: an isolate busy with other work (measured locally at
 * 1,000 creates at once) or an upstream slow to accept can take well past
 * 30 s without anything being wrong. Waiting costs nothing else: the alarm
 * holds no lock (requests, a cancel included, are served meanwhile), the
 * generation's deadline still bounds it, and an alarm may run for 15 minutes.
 */
const SUBMIT_TIMEOUT_MS = 5 * 60_000;
/** A download only has to start within this; the copy itself may take longer. */
const DOWNLOAD_HEADERS_TIMEOUT_MS = 60_000;
/**
 * Largest JSON answer read from the upstream (a status answer is well under
 * 1 KB). A longer body is dropped unread past this point instead of being
 * buffered whole by `response.text()` in a 128 MB isolate.
 */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

export interface AimlapiOptions {
  baseUrl: string;
  /** Null: the key is missing right now; submit and poll wait for it (see above). */
  apiKey: string | null;
  fetch?: typeof fetch;
  /** A poll's timeout (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** A submission's timeout (default SUBMIT_TIMEOUT_MS). */
  submitTimeoutMs?: number;
}

export function createAimlapiClient(options: AimlapiOptions): Upstream {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const submitTimeoutMs = options.submitTimeoutMs ?? SUBMIT_TIMEOUT_MS;
  const endpoint = `${options.baseUrl.replace(/\/+$/, "")}${GENERATION_PATH}`;
  const apiKey = options.apiKey;
  const auth = { Authorization: `Bearer ${apiKey ?? ""}` };
  // The real API hands out https links. An http link is fetched only when the
  // API itself is reached over http, which is a local test upstream: anywhere
  // else the video (and the link's signature) would travel in clear, open to
  // rewriting on the way.
  const allowHttpVideo = /^http:/i.test(options.baseUrl);

  return {
    name: "aimlapi",

    async submit(input: UpstreamInput): Promise<SubmitOutcome> {
      if (apiKey === null) return { kind: "retryable", reason: KEY_MISSING };
      let response: Response;
      try {
        response = await doFetch(endpoint, {
          method: "POST",
          headers: { ...auth, "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(input),
          signal: AbortSignal.timeout(submitTimeoutMs),
        });
      } catch (error) {
        // On Workers a refused connection and one cut after sending raise the
        // same error, so a network failure here is always "uncertain".
        return { kind: "uncertain", reason: `network error: ${errorMessage(error)}` };
      }
      const body = await readJson(response, MAX_JSON_BODY_BYTES);
      if (response.status === 429 || response.status >= 500) {
        return {
          kind: "retryable",
          reason: `HTTP ${response.status}${upstreamMessage(body)}`,
          ...retryAfter(response),
        };
      }
      if (!response.ok) {
        return {
          kind: "rejected",
          httpStatus: response.status,
          reason: upstreamMessage(body).replace(/^: /, "") || `HTTP ${response.status}`,
        };
      }
      const taskId = body.kind === "json" ? taskIdOf(body.value) : null;
      if (taskId !== null && body.kind === "json") {
        return { kind: "accepted", upstreamId: taskId, credits: creditsOf(body.value) };
      }
      // A 2xx without a task id: the upstream may well have taken the task.
      const what = body.kind === "too_large" ? `an answer over ${MAX_JSON_BODY_BYTES} bytes` : "no task id";
      return { kind: "uncertain", reason: `HTTP ${response.status} with ${what}` };
    },

    async poll(upstreamId: string): Promise<PollOutcome> {
      if (apiKey === null) return { kind: "retryable", reason: KEY_MISSING };
      let response: Response;
      try {
        // URLSearchParams encodes the id's `:` and `/`.
        const url = `${endpoint}?${new URLSearchParams({ generation_id: upstreamId })}`;
        response = await doFetch(url, {
          headers: { ...auth, Accept: "application/json" },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return { kind: "retryable", reason: `network error: ${errorMessage(error)}` };
      }
      const body = await readJson(response, MAX_JSON_BODY_BYTES);
      if (response.status === 404) return { kind: "lost", reason: `HTTP 404${upstreamMessage(body)}` };
      if (!response.ok) {
        return {
          kind: "retryable",
          reason: `HTTP ${response.status}${upstreamMessage(body)}`,
          ...retryAfter(response),
        };
      }
      if (body.kind === "too_large") return { kind: "retryable", reason: `answer over ${MAX_JSON_BODY_BYTES} bytes` };
      if (body.kind !== "json" || !isRecord(body.value) || typeof body.value.status !== "string") {
        return { kind: "retryable", reason: "answer is not a status object" };
      }
      const word = body.value.status;
      const state = taskState(word);
      const video = body.value.video;
      const videoUrl = isRecord(video) && typeof video.url === "string" && video.url !== "" ? video.url : null;
      const failure = state === "failed" ? describeUpstreamError(body.value.error ?? null) : null;
      return { kind: "status", state, word, videoUrl, failure, credits: creditsOf(body.value) };
    },

    async download(videoUrl: string): Promise<DownloadOutcome> {
      const scheme = URL.canParse(videoUrl) ? new URL(videoUrl).protocol : null;
      if (scheme !== "https:" && !(scheme === "http:" && allowHttpVideo)) {
        return {
          kind: "failed",
          reason: `refused a video link that is not https (${scheme ?? "not a URL"})`,
          permanent: true,
        };
      }
      let response: Response;
      try {
        // No Authorization header: the link is signed, and the key must not
        // travel to the object store.
        response = await doFetch(videoUrl, { signal: AbortSignal.timeout(DOWNLOAD_HEADERS_TIMEOUT_MS) });
      } catch (error) {
        return { kind: "failed", reason: `network error: ${errorMessage(error)}` };
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        return { kind: "failed", reason: `HTTP ${response.status} from the video link`, ...retryAfter(response) };
      }
      const length = response.headers.get("Content-Length");
      const contentLength = length !== null && /^\d+$/.test(length) ? Number(length) : null;
      return {
        kind: "ok",
        download: { body: response.body, contentLength, contentType: response.headers.get("Content-Type") },
      };
    },
  };
}

const KEY_MISSING = "AIMLAPI_KEY is not set: waiting for it to come back (nothing was sent)";

type JsonBody = { kind: "json"; value: unknown } | { kind: "text"; text: string } | { kind: "too_large" };

/** The body as JSON if it parses, read as a stream and given up past `maxBytes`. */
async function readJson(response: Response, maxBytes: number): Promise<JsonBody> {
  const body = response.body;
  if (body === null) return { kind: "text", text: "" };
  const declared = Number(response.headers.get("Content-Length") ?? "0");
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (declared > maxBytes) {
      await reader.cancel();
      return { kind: "too_large" };
    }
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        return { kind: "too_large" };
      }
      chunks.push(value);
    }
  } catch (error) {
    return { kind: "text", text: `(body unreadable: ${errorMessage(error)})` };
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  try {
    return { kind: "json", value: JSON.parse(text) };
  } catch {
    return { kind: "text", text };
  }
}

/** ": <message>" from an upstream error body, or "" when it has none. */
function upstreamMessage(body: JsonBody): string {
  if (body.kind === "json" && isRecord(body.value)) {
    const message = body.value.message ?? body.value.error;
    if (typeof message === "string" && message !== "") return `: ${message.slice(0, 300)}`;
    if (Array.isArray(message) && message.every((item) => typeof item === "string"))
      return `: ${message.join("; ").slice(0, 300)}`;
  }
  return "";
}

/** The task id of an answer: `id`, or `generation_id` in some answers. */
function taskIdOf(value: unknown): string | null {
  if (!isRecord(value)) return null;
  for (const candidate of [value.id, value.generation_id]) {
    if (typeof candidate === "string" && candidate !== "") return candidate;
  }
  return null;
}
