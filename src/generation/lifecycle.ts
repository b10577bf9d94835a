/**
 * The generation lifecycle as a pure reducer: (state, event, now) → new state,
 * timeline notes and webhook events to send. No I/O, no clock, no bindings:
 * the Durable Object (object.ts) performs the effects and feeds their
 * outcomes back in as events, with the wall-clock time they happened at.
 *
 *   queued ──accepted, first non-queued status──▶ generating ──completed──▶ storing ──stored──▶ completed
 *      │                                             │                       │
 *      └──────── rejected / uncertain / error / timeout / lost ──────────────┴──▶ failed
 *   any non-terminal ──cancel──▶ canceled            (terminal states absorb every event)
 */
import { backoffMs } from "../lib/backoff.ts";
import type { PollOutcome, SubmitOutcome } from "../upstream/port.ts";
import { nextDeliveryAt } from "../webhook/delivery.ts";
import type { ErrorCode, GenerationStatus, JsonValue, WebhookEventName } from "./schema.ts";
import { isTerminal, needsIndexSync, type ErasureReason, type GenerationState, type StoredVideo } from "./state.ts";

export type LifecycleEvent =
  /** A `data:` URI stored for the submission is gone from R2: nothing can be sent. */
  | { type: "input_missing"; reason: string }
  /** The alarm is about to send the create request (persisted before it leaves). */
  | { type: "submit_started" }
  | { type: "submitted"; outcome: SubmitOutcome }
  | { type: "polled"; outcome: PollOutcome }
  | { type: "stored"; video: StoredVideo }
  /** `permanent`: trying again cannot help (the link itself is refused), so the generation fails now. */
  | { type: "store_failed"; reason: string; retryAfterMs?: number; permanent?: boolean }
  | { type: "cancel" }
  /** A step threw (a bug, not an outcome): retried with backoff; the deadline still bounds it. */
  | { type: "step_crashed"; reason: string }
  /** The alarm woke up: deadlines and interrupted submissions are judged here. */
  | { type: "tick" };

export type { JsonValue };
export interface TimelineNote {
  type: string;
  detail: Record<string, JsonValue>;
}

export interface Transition {
  state: GenerationState;
  timeline: TimelineNote[];
  notify: WebhookEventName[];
}

export interface LifecycleContext {
  now: number;
  pollIntervalMs: number;
}

/** Upstream words that mean "still queued"; every other non-terminal word means running. */
const UPSTREAM_QUEUED = new Set(["queued"]);
/** Done, with the video: `completed`, or `succeeded` in some answers (CONTRACT.md §1). */
const UPSTREAM_COMPLETED = new Set(["completed", "succeeded"]);
const UPSTREAM_FAILED = new Set(["error", "failed"]);

export type Step = "submit" | "poll" | "store";

/** What the alarm has to do next for this generation, if anything. */
export function nextStep(state: GenerationState): Step | null {
  if (isTerminal(state.status)) return null;
  if (state.status === "storing") return "store";
  return state.upstream.id === null ? "submit" : "poll";
}

/**
 * When the alarm must next run for this state: the next step, the deadline
 * while the generation runs, the next webhook attempt, a retry of the client
 * index update, or the end of its retention (`retentionMs`, 0 = kept for
 * good). Null when nothing is left to do. A generation being erased only
 * needs its erasure finished: `retryMs` after now, since the caller that
 * marked it is erasing it already and the alarm is only the fallback.
 */
export function nextAlarmAt(state: GenerationState, now: number, retryMs: number, retentionMs = 0): number | null {
  if (state.erasing) return now + retryMs;
  const candidates: number[] = [];
  if (nextStep(state) !== null && state.nextActionAt !== null) candidates.push(state.nextActionAt);
  if (!isTerminal(state.status)) candidates.push(state.deadlineAt);
  const delivery = nextDeliveryAt(state.webhook);
  if (delivery !== null) candidates.push(delivery);
  if (needsIndexSync(state)) candidates.push(now + retryMs);
  const expiry = expiresAt(state, retentionMs);
  if (expiry !== null) candidates.push(expiry);
  return candidates.length === 0 ? null : Math.max(Math.min(...candidates), now);
}

/**
 * When retention deletes this generation: `retentionMs` after it ended or
 * after its last webhook series ended, whichever is later. Null when
 * retention is off (0), while it runs, and while any webhook message of it is
 * still pending (scheduled or in flight), so a deletion never cuts a
 * delivery short; a redelivery makes it null again until that series ends.
 */
export function expiresAt(state: GenerationState, retentionMs: number): number | null {
  if (retentionMs <= 0 || !isTerminal(state.status) || state.completedAt === null) return null;
  let from = state.completedAt;
  for (const message of state.webhook?.messages ?? []) {
    if (message.state === "pending") return null;
    from = Math.max(from, message.endedAt ?? from);
  }
  return from + retentionMs;
}

/**
 * The state that marks a generation for deletion. A running one is canceled
 * first, silently: no timeline note (the timeline goes too), and its webhook
 * is dropped, so neither the cancel nor any message still scheduled is sent.
 * Nothing is due after it but the erasure itself.
 */
export function markForErasure(state: GenerationState, reason: ErasureReason, now: number): GenerationState {
  const running = !isTerminal(state.status);
  return {
    ...state,
    status: running ? "canceled" : state.status,
    completedAt: state.completedAt ?? now,
    nextActionAt: null,
    webhook: null,
    updatedAt: now,
    erasing: { reason, at: now },
  };
}

export function reduce(state: GenerationState, event: LifecycleEvent, ctx: LifecycleContext): Transition {
  // Terminal states absorb everything: a result that arrives after a cancel
  // (the input gate opens while the alarm awaits a fetch) changes nothing.
  if (isTerminal(state.status)) return unchanged(state);
  const t = new Builder(state, ctx);
  switch (event.type) {
    case "submit_started":
      // The next alarm (if this one dies with the request in flight) judges it uncertain.
      return t
        .set({
          submit: { attempts: state.submit.attempts + 1, inFlight: true },
          nextActionAt: ctx.now + ctx.pollIntervalMs,
        })
        .done();
    case "input_missing":
      return t.fail("input_missing", `Nothing was sent upstream: ${event.reason}`).done();
    case "submitted":
      return onSubmitted(t, event.outcome);
    case "polled":
      return onPolled(t, event.outcome);
    case "stored":
      return t
        .note("storage.stored", { key: event.video.key, bytes: event.video.bytes, sha256: event.video.sha256 })
        .set({ video: event.video, nextActionAt: null, failures: 0 })
        .status("completed")
        .done();
    case "store_failed": {
      if (event.permanent === true) {
        return t
          .set({ download: { ...state.download, attempts: state.download.attempts + 1, lastError: event.reason } })
          .fail("download_failed", `The video could not be copied: ${event.reason}`)
          .done();
      }
      const failures = state.failures + 1;
      const delay = Math.max(backoffMs(ctx.pollIntervalMs, failures), event.retryAfterMs ?? 0);
      return t
        .note("storage.failed", { reason: event.reason, attempt: state.download.attempts + 1, retry_in_ms: delay })
        .set({
          download: { ...state.download, attempts: state.download.attempts + 1, lastError: event.reason },
          failures,
          nextActionAt: ctx.now + delay,
        })
        .done();
    }
    case "cancel":
      return t.set({ nextActionAt: null }).status("canceled").done();
    case "step_crashed": {
      const failures = state.failures + 1;
      const delay = backoffMs(ctx.pollIntervalMs, failures);
      return t
        .note("alarm.error", { reason: event.reason, retry_in_ms: delay })
        .set({ failures, nextActionAt: ctx.now + delay })
        .done();
    }
    case "tick":
      return onTick(t);
  }
}

function onSubmitted(t: Builder, outcome: SubmitOutcome): Transition {
  const { state, ctx } = t;
  const submit = { ...state.submit, inFlight: false };
  switch (outcome.kind) {
    case "accepted":
      return t
        .note("upstream.submitted", { upstream_id: outcome.upstreamId, attempt: state.submit.attempts })
        .set({
          submit,
          upstream: { ...state.upstream, id: outcome.upstreamId, status: "queued", lastOutcome: "queued" },
          failures: 0,
          nextActionAt: ctx.now + ctx.pollIntervalMs,
        })
        .done();
    case "retryable": {
      const failures = state.failures + 1;
      const delay = Math.max(backoffMs(ctx.pollIntervalMs, failures), outcome.retryAfterMs ?? 0);
      return t
        .note("upstream.submit_retry", { reason: outcome.reason, attempt: state.submit.attempts, retry_in_ms: delay })
        .set({ submit, failures, nextActionAt: ctx.now + delay })
        .done();
    }
    case "rejected":
      return t
        .set({ submit })
        .fail("upstream_rejected", `The upstream refused the task (HTTP ${outcome.httpStatus}): ${outcome.reason}`)
        .done();
    case "uncertain":
      return t
        .set({ submit })
        .fail(
          "submit_uncertain",
          `Not known whether the upstream took the task (${outcome.reason}); not sent again to avoid a second paid generation`,
        )
        .done();
  }
}

function onPolled(t: Builder, outcome: PollOutcome): Transition {
  const { state, ctx } = t;
  if (outcome.kind === "lost") {
    return t.fail("upstream_lost", `The upstream no longer knows the task: ${outcome.reason}`).done();
  }
  if (outcome.kind === "retryable") {
    const failures = state.failures + 1;
    const delay = Math.max(ctx.pollIntervalMs, outcome.retryAfterMs ?? 0);
    t.outcome(`error: ${outcome.reason}`, "upstream.poll_failed", { reason: outcome.reason, retry_in_ms: delay });
    return t.set({ failures, nextActionAt: ctx.now + delay }).done();
  }

  const upstreamStatus = outcome.status;
  const upstream = { ...state.upstream, status: upstreamStatus, polls: state.upstream.polls + 1 };
  t.set({ upstream, failures: 0, nextActionAt: ctx.now + ctx.pollIntervalMs });

  if (UPSTREAM_FAILED.has(upstreamStatus)) {
    t.outcome(upstreamStatus, "upstream.status", { status: upstreamStatus });
    return t.fail("upstream_error", describeUpstreamError(outcome.error)).done();
  }
  if (UPSTREAM_COMPLETED.has(upstreamStatus)) {
    if (outcome.videoUrl === null) {
      // Documented as impossible; keep asking rather than fail a paid generation.
      t.outcome("completed without video url", "upstream.status", { status: upstreamStatus, video_url: null });
      return t.done();
    }
    t.outcome(upstreamStatus, "upstream.status", { status: upstreamStatus });
    return t
      .set({ download: { ...state.download, url: outcome.videoUrl }, nextActionAt: ctx.now, failures: 0 })
      .status("storing")
      .done();
  }
  t.outcome(upstreamStatus, "upstream.status", { status: upstreamStatus });
  // `queued` keeps a queued generation queued; any other word (waiting, active,
  // generating, or one we have never seen) means the upstream is working on it.
  if (!UPSTREAM_QUEUED.has(upstreamStatus) && state.status === "queued") t.status("generating");
  return t.done();
}

function onTick(t: Builder): Transition {
  const { state, ctx } = t;
  if (ctx.now >= state.deadlineAt) {
    if (state.status === "storing" && state.download.lastError !== null) {
      return t
        .fail("download_failed", `The video could not be copied before the deadline: ${state.download.lastError}`)
        .done();
    }
    return t
      .fail("timeout", `No terminal state within ${Math.round((state.deadlineAt - state.createdAt) / 1000)} s`)
      .done();
  }
  if (state.submit.inFlight) {
    return t
      .set({ submit: { ...state.submit, inFlight: false } })
      .fail(
        "submit_uncertain",
        "The runtime stopped while the submission was in flight; not sent again to avoid a second paid generation",
      )
      .done();
  }
  return t.done();
}

/** Upstream errors come as `{name, message}`, `{detail: [...]}`, a string, or anything else. */
export function describeUpstreamError(error: unknown): string {
  if (typeof error === "string" && error.trim() !== "") return error;
  if (isRecord(error)) {
    if (Array.isArray(error.detail)) {
      const parts = error.detail.map((item) => {
        if (!isRecord(item)) return String(item);
        const where = Array.isArray(item.loc) ? item.loc.join(".") : "";
        const what = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
        return where ? `${where}: ${what}` : what;
      });
      if (parts.length > 0) return parts.join("; ");
    }
    const name = typeof error.name === "string" ? error.name : null;
    const message = typeof error.message === "string" ? error.message : null;
    if (name && message) return `${name}: ${message}`;
    if (message || name) return message ?? name ?? "";
  }
  if (error === null || error === undefined) return "The upstream reported a failure without details";
  return JSON.stringify(error).slice(0, 500);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unchanged(state: GenerationState): Transition {
  return { state, timeline: [], notify: [] };
}

const NOTIFY_ON: Partial<Record<GenerationStatus, WebhookEventName>> = {
  completed: "completed",
  failed: "failed",
  canceled: "canceled",
};

/** `started` marks leaving the queue for work, even when the first answer after it is already "completed". */
const startsWork = (from: GenerationStatus, to: GenerationStatus): boolean =>
  from === "queued" && (to === "generating" || to === "storing");

/** Accumulates one transition; keeps the reducer's cases short and uniform. */
class Builder {
  state: GenerationState;
  readonly timeline: TimelineNote[] = [];
  readonly notify: WebhookEventName[] = [];

  constructor(
    initial: GenerationState,
    readonly ctx: LifecycleContext,
  ) {
    this.state = initial;
  }

  set(patch: Partial<GenerationState>): this {
    this.state = { ...this.state, ...patch, updatedAt: this.ctx.now };
    return this;
  }

  note(type: string, detail: Record<string, JsonValue>): this {
    this.timeline.push({ type, detail });
    return this;
  }

  /** Records an upstream outcome in the timeline only when it differs from the last one. */
  outcome(word: string, type: string, detail: Record<string, JsonValue>): this {
    if (this.state.upstream.lastOutcome === word) return this;
    this.note(type, detail);
    return this.set({ upstream: { ...this.state.upstream, lastOutcome: word } });
  }

  status(to: GenerationStatus): this {
    const from = this.state.status;
    if (from === to) return this;
    this.note("status.changed", { from, to });
    this.set({ status: to, ...(isTerminal(to) ? { completedAt: this.ctx.now, nextActionAt: null } : {}) });
    if (startsWork(from, to)) this.notify.push("started");
    const event = NOTIFY_ON[to];
    if (event) this.notify.push(event);
    return this;
  }

  fail(code: ErrorCode, message: string): this {
    this.set({ error: { code, message } });
    this.note("generation.error", { code, message });
    return this.status("failed");
  }

  done(): Transition {
    return { state: this.state, timeline: this.timeline, notify: this.notify };
  }
}
