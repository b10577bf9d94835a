/**
 * What one Durable Object remembers about its generation. Plain JSON: it is
 * stored as one row and handed to the pure lifecycle reducer.
 */
import type { StoredInput } from "../models/inline-media.ts";
import { summarize, type WebhookState } from "../webhook/delivery.ts";
import type { ErrorCode, GenerationStatus, JsonValue, WebhookEventName } from "./schema.ts";

export type { GenerationStatus };

export const TERMINAL_STATUSES: ReadonlySet<GenerationStatus> = new Set(["completed", "failed", "canceled"]);
export const isTerminal = (status: GenerationStatus): boolean => TERMINAL_STATUSES.has(status);

export interface StoredVideo {
  /** R2 object key, derived from the generation id so a retried copy overwrites. */
  key: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

export interface GenerationState {
  id: string;
  clientId: string;
  model: string;
  /**
   * The model's fields as the caller sent them, under the caller's names; a
   * `data:` URI as its short reference (the text is in R2, see `inlineMedia`).
   * Rows written before the model catalogue also carry `model` here.
   */
  input: Record<string, JsonValue>;
  /** The `data:` URIs of `input`, stored in R2 before the object started. Absent in older rows: none. */
  inlineMedia?: StoredInput[];
  metadata: Record<string, JsonValue>;
  status: GenerationStatus;
  upstream: {
    /** Which adapter took the task: a generation keeps its adapter for life. */
    adapter: "aimlapi" | "simulator";
    id: string | null;
    status: string | null;
    polls: number;
    /** Outcome of the last poll, in a word, so the timeline records changes only. */
    lastOutcome: string | null;
  };
  submit: {
    attempts: number;
    /** Set (and persisted) before the request leaves; still set on the next alarm means the runtime died mid-request. */
    inFlight: boolean;
  };
  download: { url: string | null; attempts: number; lastError: string | null };
  video: StoredVideo | null;
  error: { code: ErrorCode; message: string } | null;
  /** Consecutive transient failures of the current step, for backoff. */
  failures: number;
  /** When the alarm should next submit, poll or copy; null when nothing is due. */
  nextActionAt: number | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  deadlineAt: number;
  /** Origin for links handed out when PUBLIC_BASE_URL is unset. */
  publicBaseUrl: string;
  webhook: WebhookState | null;
  /**
   * What the client index last acknowledged: the version sent (it only
   * accepts newer ones) and the `indexFingerprint` it carried. Absent until
   * the first update.
   */
  indexed?: { version: number; fingerprint: string | null };
  /**
   * Set when the generation is being deleted for good (purged, or its
   * retention ran out). From then on every caller is answered as if it did
   * not exist, nothing is sent anywhere, and the alarm finishes the deletion
   * if it was interrupted. Absent otherwise.
   */
  erasing?: { reason: ErasureReason; at: number };
}

export type ErasureReason = "purged" | "expired";

/**
 * What the client index's row of this generation depends on: its status and
 * its webhook's state. A change of either is sent to the index (the list and
 * the quota read it); poll counts and each webhook attempt are not, to spare
 * a write per poll and per attempt, so a listed row may show them as they
 * were at the last change.
 */
export function indexFingerprint(state: GenerationState): string {
  const webhook = summarize(state.webhook);
  return JSON.stringify([state.status, webhook?.state ?? null]);
}

/** Whether the client index has not yet acknowledged this state. */
export const needsIndexSync = (state: GenerationState): boolean =>
  state.indexed?.fingerprint !== indexFingerprint(state);

export interface NewGeneration {
  id: string;
  clientId: string;
  /** The catalogue's model id. */
  model: string;
  /** The model's fields as sent, each `data:` URI replaced by its reference. */
  input: Record<string, JsonValue>;
  /** Where those `data:` URIs are in R2 (never their text: an RPC argument stays small). */
  inlineMedia: StoredInput[];
  webhook: { url: string; events: WebhookEventName[] } | null;
  metadata: Record<string, JsonValue>;
  /** Origin of the creating request, for links when PUBLIC_BASE_URL is unset. */
  requestOrigin: string;
}

/** The state of a generation just created: queued, its submission due at once. */
export function newGenerationState(
  params: NewGeneration,
  options: { adapter: GenerationState["upstream"]["adapter"]; timeoutMs: number; now: number },
): GenerationState {
  const { now } = options;
  return {
    id: params.id,
    clientId: params.clientId,
    model: params.model,
    input: params.input,
    inlineMedia: params.inlineMedia,
    metadata: params.metadata,
    status: "queued",
    upstream: { adapter: options.adapter, id: null, status: null, polls: 0, lastOutcome: null },
    submit: { attempts: 0, inFlight: false },
    download: { url: null, attempts: 0, lastError: null },
    video: null,
    error: null,
    failures: 0,
    nextActionAt: now,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    deadlineAt: now + options.timeoutMs,
    publicBaseUrl: params.requestOrigin,
    webhook: params.webhook === null ? null : { ...params.webhook, messages: [] },
  };
}
