/**
 * What one Durable Object remembers about its generation. Plain JSON: it is
 * stored as one row and changed only by the pure lifecycle reducer
 * (lifecycle.ts), applied by the object's one `apply()` (object.ts).
 */
import type { StoredInput } from "../models/inline-media.ts";
import type { StoredVideo } from "../storage/copy-to-r2.ts";
import {
  isTerminal,
  type ErrorCode,
  type GenerationStatus,
  type JsonValue,
  type UpstreamAdapter,
  type WebhookEventName,
} from "../vocabulary.ts";
import type { Retention } from "../config.ts";
import { seriesOf, summarize, type WebhookState } from "../webhook/delivery.ts";

export type { StoredVideo };

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
    adapter: UpstreamAdapter;
    id: string | null;
    /** The upstream's own word for the task's status at the last poll (shown as is; the reducer reads the adapter's translation). */
    status: string | null;
    polls: number;
    /** Outcome of the last poll, in a word, so the timeline records changes only. */
    lastOutcome: string | null;
    /** What the upstream task costs, in its credits (`meta.usage.tokens_used`): its latest figure. Absent: not told. */
    credits?: number | null;
    /**
     * The upstream task's fate, which the client's slot follows (see
     * `holdsSlot`): none started, one whose start is not known (in flight or
     * uncertain), one running, or one that has ended (or whose deadline
     * passed). Absent in rows stored before it existed: see `taskOf`.
     */
    task?: UpstreamTask;
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
   * What the client index last acknowledged: the revision of the state it
   * was sent (the index only takes newer ones) and that state's
   * `indexFingerprint`. Absent until the first acknowledgement.
   */
  indexed?: { revision: number; fingerprint: string };
  /** When an index update that failed is tried again; absent while none has failed. */
  indexRetryAt?: number;
  /**
   * Set when the generation is being deleted for good (purged, or its
   * retention ran out). From then on every caller is answered as if it did
   * not exist, nothing is sent anywhere, and the alarm finishes the deletion
   * if it was interrupted. Absent otherwise. `outside`: its R2 objects and
   * client-index row are gone already; what remains (while its upstream task
   * is still waited for) is only the task's id, the client, the deadline and
   * the credit figure.
   */
  erasing?: { reason: ErasureReason; at: number; outside?: true };
}

export type ErasureReason = "purged" | "expired";

export type UpstreamTask = "none" | "unknown" | "running" | "ended";

/** The upstream task's fate (`upstream.task`, derived for rows stored before it existed). */
export function taskOf(state: GenerationState): UpstreamTask {
  if (state.upstream.task !== undefined) return state.upstream.task;
  if (state.submit.inFlight) return "unknown";
  if (state.upstream.id === null) return "none";
  return isTerminal(state.status) ? "ended" : "running";
}

/**
 * Whether the generation holds one of its client's MAX_ACTIVE_PER_KEY
 * slots: while it runs, and after it was canceled or purged for as long as
 * the paid upstream task it started may still run (until the task ends or
 * the deadline passes), so canceling never frees room for more upstream work
 * than the limit.
 */
export function holdsSlot(state: GenerationState): boolean {
  if (!isTerminal(state.status)) return true;
  const task = taskOf(state);
  return task === "running" || task === "unknown";
}

/** A generation that has ended for its client but whose upstream task is still waited for (polled, silently). */
export const isDraining = (state: GenerationState): boolean => isTerminal(state.status) && holdsSlot(state);

/**
 * What the client index's row of this generation depends on: its status,
 * its webhook's state, whether it holds a slot, and its credit figure. A
 * change of any is sent to the index (the list, the quota and the budget read
 * them); poll counts and each webhook attempt are not, to spare a write per
 * poll and per attempt, so a listed row may show them as they were at the
 * last change.
 */
export function indexFingerprint(state: GenerationState): string {
  const webhook = summarize(state.webhook);
  return JSON.stringify([state.status, webhook?.state ?? null, holdsSlot(state), state.upstream.credits ?? null]);
}

/** Whether the client index has not yet acknowledged this state (never for one being deleted: its row goes with it). */
export const needsIndexSync = (state: GenerationState): boolean =>
  state.erasing === undefined && state.indexed?.fingerprint !== indexFingerprint(state);

/**
 * When retention deletes this generation: `retention.ms` after it ended or
 * after the first retry series of its webhook events ended, whichever is
 * later; a redelivery's series may put that off until its own end, but by one
 * retry series (`retention.seriesSpanMs`) at most, however often a client
 * redelivers. Null when retention is off (0), while it runs (or its upstream
 * task still does), and while a first series is still pending, so a deletion
 * never cuts a first delivery short.
 */
export function expiresAt(state: GenerationState, retention: Retention): number | null {
  if (retention.ms <= 0 || !isTerminal(state.status) || state.completedAt === null || holdsSlot(state)) return null;
  let firstEnd = state.completedAt;
  let lastEnd = state.completedAt;
  let redelivering = false;
  for (const message of state.webhook?.messages ?? []) {
    const first = seriesOf(message) === 1;
    if (message.state === "pending" && first) return null;
    firstEnd = Math.max(firstEnd, message.firstEndedAt ?? (first ? message.endedAt : null) ?? firstEnd);
    if (message.state === "pending") redelivering = true;
    else lastEnd = Math.max(lastEnd, message.endedAt ?? lastEnd);
  }
  const latest = firstEnd + retention.ms + retention.seriesSpanMs;
  return redelivering ? latest : Math.min(lastEnd + retention.ms, latest);
}

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
  /**
   * When the Worker accepted the create (its reservation's time, which the
   * client index lists); absent from callers that predate it: the object's
   * own clock then.
   */
  createdAt?: number;
  /** The upstream the Worker chose for it (config.ts adapterFor); absent from callers that predate it: the object chooses. */
  adapter?: UpstreamAdapter;
}

/** The state of a generation just created: queued, its submission due at once. */
export function newGenerationState(
  params: NewGeneration,
  options: { adapter: UpstreamAdapter; timeoutMs: number; now: number },
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
    upstream: { adapter: options.adapter, id: null, status: null, polls: 0, lastOutcome: null, task: "none" },
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
