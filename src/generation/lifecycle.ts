/**
 * The generation lifecycle as a pure reducer: (state, lifecycle event,
 * context) → new state and timeline entries. No I/O, no clock, no bindings.
 * It is the only code that changes a generation's state: the Durable Object
 * (object.ts) applies each event in its one `apply()`, performs the I/O the
 * new state asks for, and feeds the outcomes back in as events, with the
 * wall-clock time they happened at.
 *
 *   queued ──accepted, first non-queued status──▶ generating ──completed──▶ storing ──stored──▶ completed
 *      │                                             │                       │
 *      └──────── rejected / uncertain / error / timeout / lost ──────────────┴──▶ failed
 *   any non-terminal ──cancel_requested──▶ canceled     (terminal states absorb every work event)
 *
 * Work events (the upstream's and storage's outcomes, ticks, cancel) are
 * absorbed by a terminal state: a result that arrives after a cancel changes
 * nothing. Bookkeeping events (webhook attempts, redelivery, the client
 * index's acknowledgement, erasure) apply after the end too. A generation
 * being erased absorbs everything; one that does not exist takes only
 * `created`.
 */
import type { Retention } from "../config.ts";
import { backoffMs } from "../lib/backoff.ts";
import type { StoredVideo } from "../storage/copy-to-r2.ts";
import type { PollOutcome, SubmitOutcome } from "../upstream/port.ts";
import {
  isTerminal,
  type ErrorCode,
  type GenerationStatus,
  type JsonValue,
  type UpstreamAdapter,
  type WebhookEventName,
} from "../vocabulary.ts";
import {
  enqueue,
  lease,
  nextDeliveryAt,
  recordAttempt,
  redeliver,
  wantsEvent,
  type AttemptResult,
} from "../webhook/delivery.ts";
import {
  expiresAt,
  holdsSlot,
  indexFingerprint,
  isDraining,
  needsIndexSync,
  newGenerationState,
  taskOf,
  type ErasureReason,
  type GenerationState,
  type NewGeneration,
} from "./state.ts";
import { toGeneration } from "./view.ts";

export type LifecycleEvent =
  /**
   * `start()` on an object with no generation: it is created, queued, its
   * submission due at once. `listed`: the client index holds this very
   * state's summary already (the Worker's reservation carried it, see
   * `createdSummary`), so there is nothing to report to it.
   */
  | { type: "created"; generation: NewGeneration; adapter: UpstreamAdapter; timeoutMs: number; listed?: boolean }
  /** The alarm woke up: deadlines and interrupted submissions are judged here. */
  | { type: "tick" }
  /** A `data:` URI stored for the submission is gone from R2: nothing can be sent. */
  | { type: "input_missing"; reason: string }
  /** The alarm is about to send the create request (persisted before it leaves). */
  | { type: "submit_started" }
  | { type: "submitted"; outcome: SubmitOutcome }
  | { type: "polled"; outcome: PollOutcome }
  /** The copy of the video into R2 begins. */
  | { type: "store_started" }
  /** The video is in R2; `link` is its signed link, for the webhook event's body. */
  | { type: "stored"; video: StoredVideo; link: string }
  /** `permanent`: trying again cannot help (the link itself is refused), so the generation fails now. */
  | { type: "store_failed"; reason: string; retryAfterMs?: number; permanent?: boolean }
  | { type: "cancel_requested" }
  /** A step threw (a bug, not an outcome): retried with backoff; the deadline still bounds it. */
  | { type: "step_crashed"; reason: string }
  /** These webhook messages are being attempted, until `until` at the latest (then presumed lost). */
  | { type: "webhook_leased"; msgIds: string[]; until: number }
  /** One attempt of message `msgId`'s retry series `series` ended with `result`. */
  | { type: "webhook_attempted"; msgId: string; series: number; result: AttemptResult; startedAt: number }
  /** Send the latest terminal webhook event again; `link` is a freshly signed video link (null without video). */
  | { type: "redeliver_requested"; link: string | null }
  /** The client index took the summary of the state at `revision`, whose fingerprint was `fingerprint`. */
  | { type: "index_acknowledged"; revision: number; fingerprint: string }
  | { type: "index_failed"; reason: string }
  /** Delete the generation for good (purge, or the end of its retention). */
  | { type: "erase_requested"; reason: ErasureReason }
  /** Its R2 objects and client-index row are gone; only the accounting of its upstream task remains. */
  | { type: "erased_outside" };

/** One row of the generation's timeline (`GET …/events`). */
export interface TimelineEntry {
  type: string;
  detail: Record<string, JsonValue>;
}

export interface Transition {
  /** The state after the event (the same object when nothing changed; null for a generation that does not exist). */
  state: GenerationState | null;
  timeline: TimelineEntry[];
  /**
   * Losing this change costs nothing: it only records what another party
   * holds already (the client index's acknowledgement). The store keeps it in
   * memory and writes it with the next change, sparing a row; a state read
   * back without it reports again, and the index takes a summary it holds as
   * a no-op.
   */
  deferrable?: true;
}

export interface LifecycleContext {
  now: number;
  pollIntervalMs: number;
  /** RETENTION_SECONDS (0: kept for good) and a webhook series' span, for the `expires_at` of rendered Generations. */
  retention: Retention;
  /** WEBHOOK_RETRY_SCHEDULE_SECONDS in ms. */
  webhookRetryScheduleMs: readonly number[];
  /** How long a failed client index update waits before the alarm tries it again. */
  indexRetryMs: number;
}

export type Step = "submit" | "poll" | "store";

/**
 * What the alarm has to do next for this generation, if anything. A
 * generation that ended for its client (canceled, purged) while its upstream
 * task runs is still polled, silently, until that task ends: its slot and its
 * credits depend on it.
 */
export function nextStep(state: GenerationState): Step | null {
  if (isDraining(state)) return taskOf(state) === "running" && state.upstream.id !== null ? "poll" : null;
  if (isTerminal(state.status) || state.erasing) return null;
  if (state.status === "storing") return "store";
  return state.upstream.id === null ? "submit" : "poll";
}

/**
 * When the alarm must next run for this state: the next step, the deadline
 * while the generation runs, the next webhook attempt, a retry of the client
 * index update, or the end of its retention. Null when nothing is left to
 * do. A generation being erased only needs its erasure finished: `retryMs`
 * after now, since the caller that marked it is erasing it already and the
 * alarm is only the fallback.
 *
 * Everything else is read from the state alone, so the time an alarm was set
 * for can be told again from the state when it fires (see object.ts alarm()).
 */
export function nextAlarmAt(
  state: GenerationState,
  now: number,
  options: { retention: Retention; retryMs: number },
): number | null {
  if (state.erasing && (state.erasing.outside !== true || !holdsSlot(state))) return now + options.retryMs;
  const candidates: number[] = [];
  if (nextStep(state) !== null && state.nextActionAt !== null) candidates.push(state.nextActionAt);
  if (holdsSlot(state)) candidates.push(state.deadlineAt);
  const delivery = nextDeliveryAt(state.webhook);
  if (delivery !== null) candidates.push(delivery);
  if (needsIndexSync(state)) candidates.push(state.indexRetryAt ?? state.updatedAt + options.retryMs);
  const expiry = expiresAt(state, options.retention);
  if (expiry !== null) candidates.push(expiry);
  return candidates.length === 0 ? null : Math.max(Math.min(...candidates), now);
}

/** Whether this state's submission was started by the `submit_started` that turned `before` into it. */
export function ownsSubmission(before: GenerationState, after: GenerationState | null): boolean {
  return (
    after !== null &&
    !isTerminal(after.status) &&
    after.erasing === undefined &&
    after.upstream.id === null &&
    after.submit.inFlight &&
    after.submit.attempts === before.submit.attempts + 1
  );
}

export function reduce(state: GenerationState | null, event: LifecycleEvent, ctx: LifecycleContext): Transition {
  if (state === null) return event.type === "created" ? onCreated(event, ctx) : unchanged(null);
  if (state.erasing) return onErasing(state, event, ctx);
  switch (event.type) {
    case "created":
      return unchanged(state);
    case "webhook_leased":
      return onWebhookLeased(state, event.msgIds, event.until);
    case "webhook_attempted":
      return onWebhookAttempted(state, event, ctx);
    case "redeliver_requested":
      return onRedeliverRequested(state, event.link, ctx);
    case "index_acknowledged":
      return onIndexAcknowledged(state, event.revision, event.fingerprint);
    case "index_failed":
      return { state: { ...state, indexRetryAt: ctx.now + ctx.indexRetryMs }, timeline: [] };
    case "erase_requested":
      return onEraseRequested(state, event.reason, ctx.now);
    case "erased_outside":
      return unchanged(state);
    default:
      // Work events: a terminal state absorbs them, but for its upstream task's end.
      if (isTerminal(state.status)) return onDrain(state, event, ctx, { visible: true });
      return onWork(new Builder(state, ctx), event);
  }
}

/**
 * A generation being erased: only the wait for its upstream task goes on
 * (without a timeline: its timeline is gone), and the note that its data
 * outside the object is gone.
 */
function onErasing(state: GenerationState, event: LifecycleEvent, ctx: LifecycleContext): Transition {
  const erasing = state.erasing;
  if (erasing === undefined) return unchanged(state);
  if (event.type === "erased_outside") {
    return erasing.outside
      ? unchanged(state)
      : { state: { ...state, erasing: { ...erasing, outside: true } }, timeline: [] };
  }
  return { state: onDrain(state, event, ctx, { visible: false }).state, timeline: [] };
}

/**
 * What a generation that has ended for its client still takes: the answers
 * about the upstream task it started (a submission answer that arrives after
 * a cancel, status polls, the deadline), silently, to hold its client's slot
 * for as long as that task runs and to record what it cost. No status change,
 * no webhook event, no copy. `visible`: whether it may add timeline entries
 * (not once the generation is being erased).
 */
function onDrain(
  state: GenerationState,
  event: LifecycleEvent,
  ctx: LifecycleContext,
  options: { visible: boolean },
): Transition {
  const timeline: TimelineEntry[] = [];
  const upstream = (patch: Partial<GenerationState["upstream"]>): GenerationState => ({
    ...state,
    upstream: { ...state.upstream, ...patch },
  });
  let next: GenerationState;
  switch (event.type) {
    case "submitted": {
      // The cancel came while the submission was on its way.
      if (!state.submit.inFlight) return unchanged(state);
      const submit = { ...state.submit, inFlight: false };
      const outcome = event.outcome;
      if (outcome.kind === "accepted") {
        next = {
          ...upstream({
            id: outcome.upstreamId,
            task: "running",
            credits: outcome.credits ?? state.upstream.credits ?? null,
          }),
          submit,
          nextActionAt: ctx.now + ctx.pollIntervalMs,
        };
        timeline.push({
          type: "upstream.submitted",
          detail: { upstream_id: outcome.upstreamId, attempt: state.submit.attempts },
        });
      } else {
        next = { ...upstream({ task: outcome.kind === "uncertain" ? "unknown" : "none" }), submit };
      }
      break;
    }
    case "polled": {
      if (!holdsSlot(state) || taskOf(state) !== "running") return unchanged(state);
      const outcome = event.outcome;
      if (outcome.kind === "retryable") {
        next = { ...state, nextActionAt: ctx.now + Math.max(ctx.pollIntervalMs, outcome.retryAfterMs ?? 0) };
        break;
      }
      const ended = outcome.kind === "lost" || outcome.state === "completed" || outcome.state === "failed";
      const credits =
        outcome.kind === "status"
          ? (outcome.credits ?? state.upstream.credits ?? null)
          : (state.upstream.credits ?? null);
      next = {
        ...upstream({
          task: ended ? "ended" : "running",
          credits,
          ...(outcome.kind === "status" ? { status: outcome.word, polls: state.upstream.polls + 1 } : {}),
        }),
        nextActionAt: ended ? null : ctx.now + ctx.pollIntervalMs,
      };
      if (credits !== (state.upstream.credits ?? null))
        timeline.push({ type: "upstream.credits", detail: { credits } });
      if (ended) {
        const word = outcome.kind === "status" ? outcome.word : "lost";
        timeline.push({ type: "upstream.ended", detail: { status: word } });
      }
      break;
    }
    case "tick":
      // Past the deadline the task is no longer waited for: the slot comes back.
      if (!holdsSlot(state) || ctx.now < state.deadlineAt) return unchanged(state);
      next = { ...upstream({ task: "ended" }), submit: { ...state.submit, inFlight: false }, nextActionAt: null };
      timeline.push({ type: "upstream.given_up", detail: { reason: "deadline" } });
      break;
    default:
      return unchanged(state);
  }
  return { state: next, timeline: options.visible ? timeline : [] };
}

function onCreated(event: Extract<LifecycleEvent, { type: "created" }>, ctx: LifecycleContext): Transition {
  const created = newGenerationState(event.generation, {
    adapter: event.adapter,
    timeoutMs: event.timeoutMs,
    now: event.generation.createdAt ?? ctx.now,
  });
  // The reserved row is version 0: every later report of this generation is newer.
  const state =
    event.listed === true ? { ...created, indexed: { revision: 0, fingerprint: indexFingerprint(created) } } : created;
  const detail = { upstream: event.adapter, webhook: state.webhook !== null };
  return { state, timeline: [{ type: "generation.created", detail }] };
}

type WorkEvent = Exclude<
  LifecycleEvent,
  {
    type:
      | "created"
      | "webhook_leased"
      | "webhook_attempted"
      | "redeliver_requested"
      | "index_acknowledged"
      | "index_failed"
      | "erase_requested"
      | "erased_outside";
  }
>;

function onWork(t: Builder, event: WorkEvent): Transition {
  const { state, ctx } = t;
  switch (event.type) {
    case "tick":
      return onTick(t);
    case "submit_started":
      // Only a submission that is due and not already under way starts: the
      // caller sends the request only if the state it gets back owns it.
      if (state.upstream.id !== null || state.submit.inFlight || state.status !== "queued") return t.done();
      // The next alarm (if this one dies with the request in flight) judges it uncertain.
      return t
        .set({
          submit: { attempts: state.submit.attempts + 1, inFlight: true },
          upstream: { ...state.upstream, task: "unknown" },
          nextActionAt: ctx.now + ctx.pollIntervalMs,
        })
        .done();
    case "input_missing":
      return t.fail("input_missing", `Nothing was sent upstream: ${event.reason}`).done();
    case "submitted":
      return onSubmitted(t, event.outcome);
    case "polled":
      return onPolled(t, event.outcome);
    case "store_started":
      return t.note("storage.started", { attempt: state.download.attempts + 1 }).done();
    case "stored":
      if (state.status !== "storing") return t.done();
      t.link = event.link;
      return t
        .note("storage.stored", { key: event.video.key, bytes: event.video.bytes, sha256: event.video.sha256 })
        .set({ video: event.video, nextActionAt: null, failures: 0 })
        .status("completed")
        .done();
    case "store_failed": {
      const download = { ...state.download, attempts: state.download.attempts + 1, lastError: event.reason };
      if (event.permanent === true) {
        return t.set({ download }).fail("download_failed", `The video could not be copied: ${event.reason}`).done();
      }
      const failures = state.failures + 1;
      const delay = Math.max(backoffMs(ctx.pollIntervalMs, failures), event.retryAfterMs ?? 0);
      return t
        .note("storage.failed", { reason: event.reason, attempt: download.attempts, retry_in_ms: delay })
        .set({ download, failures, nextActionAt: ctx.now + delay })
        .done();
    }
    case "cancel_requested": {
      t.note("generation.cancel_requested", {}).status("canceled");
      // An upstream task already running is still polled (silently) until it ends: see onDrain.
      const draining = taskOf(state) === "running" && state.upstream.id !== null;
      if (!draining) return t.set({ nextActionAt: null }).done();
      return t
        .set({
          upstream: { ...t.state.upstream, task: "running" },
          nextActionAt: state.nextActionAt ?? ctx.now + ctx.pollIntervalMs,
        })
        .done();
    }
    case "step_crashed": {
      const failures = state.failures + 1;
      const delay = backoffMs(ctx.pollIntervalMs, failures);
      return t
        .note("alarm.error", { reason: event.reason, retry_in_ms: delay })
        .set({ failures, nextActionAt: ctx.now + delay })
        .done();
    }
  }
}

function onSubmitted(t: Builder, outcome: SubmitOutcome): Transition {
  const { state, ctx } = t;
  // Only the answer to the submission in flight counts.
  if (!state.submit.inFlight) return t.done();
  const submit = { ...state.submit, inFlight: false };
  switch (outcome.kind) {
    case "accepted":
      t.note("upstream.submitted", { upstream_id: outcome.upstreamId, attempt: state.submit.attempts }).set({
        submit,
        upstream: {
          ...state.upstream,
          id: outcome.upstreamId,
          status: "queued",
          lastOutcome: "queued",
          task: "running",
        },
        failures: 0,
        nextActionAt: ctx.now + ctx.pollIntervalMs,
      });
      return t.credits(outcome.credits).done();
    case "retryable": {
      const failures = state.failures + 1;
      const delay = Math.max(backoffMs(ctx.pollIntervalMs, failures), outcome.retryAfterMs ?? 0);
      return t
        .note("upstream.submit_retry", { reason: outcome.reason, attempt: state.submit.attempts, retry_in_ms: delay })
        .set({ submit, upstream: { ...state.upstream, task: "none" }, failures, nextActionAt: ctx.now + delay })
        .done();
    }
    case "rejected":
      return t
        .set({ submit, upstream: { ...state.upstream, task: "none" } })
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
  // A poll answers for the task being polled: a storing generation has its answer already.
  if (state.upstream.id === null || state.status === "storing") return t.done();
  if (outcome.kind === "lost") {
    return t
      .set({ upstream: { ...state.upstream, task: "ended" } })
      .fail("upstream_lost", `The upstream no longer knows the task: ${outcome.reason}`)
      .done();
  }
  if (outcome.kind === "retryable") {
    const failures = state.failures + 1;
    const delay = Math.max(ctx.pollIntervalMs, outcome.retryAfterMs ?? 0);
    t.outcome(`error: ${outcome.reason}`, "upstream.poll_failed", { reason: outcome.reason, retry_in_ms: delay });
    return t.set({ failures, nextActionAt: ctx.now + delay }).done();
  }

  const word = outcome.word;
  const ended = outcome.state === "completed" ? outcome.videoUrl !== null : outcome.state === "failed";
  const upstream = {
    ...state.upstream,
    status: word,
    polls: state.upstream.polls + 1,
    ...(ended ? { task: "ended" as const } : {}),
  };
  t.set({ upstream, failures: 0, nextActionAt: ctx.now + ctx.pollIntervalMs }).credits(outcome.credits);
  switch (outcome.state) {
    case "failed":
      t.outcome(word, "upstream.status", { status: word });
      return t.fail("upstream_error", outcome.failure ?? "The upstream reported a failure without details").done();
    case "completed":
      if (outcome.videoUrl === null) {
        // Documented as impossible; keep asking rather than fail a paid generation.
        t.outcome("completed without video url", "upstream.status", { status: word, video_url: null });
        return t.done();
      }
      t.outcome(word, "upstream.status", { status: word });
      return t
        .set({ download: { ...state.download, url: outcome.videoUrl }, nextActionAt: ctx.now, failures: 0 })
        .status("storing")
        .done();
    case "running":
      t.outcome(word, "upstream.status", { status: word });
      if (state.status === "queued") t.status("generating");
      return t.done();
    case "queued":
      t.outcome(word, "upstream.status", { status: word });
      return t.done();
  }
}

function onTick(t: Builder): Transition {
  const { state, ctx } = t;
  if (ctx.now >= state.deadlineAt) {
    if (state.status === "storing" && state.download.lastError !== null) {
      return t
        .fail("download_failed", `The video could not be copied before the deadline: ${state.download.lastError}`)
        .done();
    }
    // Past the deadline nothing is waited for any more, the upstream task included: the slot comes back.
    return t
      .set({ upstream: { ...state.upstream, task: "ended" } })
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

// ---- bookkeeping: webhooks, the client index, erasure ------------------------

function onWebhookLeased(state: GenerationState, msgIds: readonly string[], until: number): Transition {
  if (state.webhook === null) return unchanged(state);
  let webhook = state.webhook;
  for (const msgId of msgIds) webhook = lease(webhook, msgId, until);
  return { state: { ...state, webhook }, timeline: [] };
}

function onWebhookAttempted(
  state: GenerationState,
  event: Extract<LifecycleEvent, { type: "webhook_attempted" }>,
  ctx: LifecycleContext,
): Transition {
  if (state.webhook === null) return unchanged(state);
  const { msgId, series, result } = event;
  const webhook = recordAttempt(state.webhook, msgId, series, result, ctx.now, ctx.webhookRetryScheduleMs);
  const counted = webhook !== state.webhook;
  const message = webhook.messages.find((m) => m.msgId === msgId);
  // An attempt of a series that has ended meanwhile is recorded, not counted.
  const detail: Record<string, JsonValue> = {
    webhook_id: msgId,
    event: message?.type ?? null,
    series,
    attempt: counted ? (message?.attempts ?? 0) : null,
    duration_ms: ctx.now - event.startedAt,
    outcome: counted ? (message?.state ?? "pending") : "superseded",
    next_attempt_at: counted && message?.nextAttemptAt ? new Date(message.nextAttemptAt).toISOString() : null,
  };
  if (result.kind === "response") detail.status = result.status;
  else detail.error = result.reason;
  return { state: counted ? { ...state, webhook } : state, timeline: [{ type: "webhook.attempt", detail }] };
}

function onRedeliverRequested(state: GenerationState, link: string | null, ctx: LifecycleContext): Transition {
  if (state.webhook === null) return unchanged(state);
  // The event goes out again with the Generation as it is now, its link freshly signed.
  const data = toGeneration(state, state.video ? link : null, ctx.retention);
  const outcome = redeliver(state.webhook, ctx.now, (body) =>
    JSON.stringify({ ...(JSON.parse(body) as object), data }),
  );
  if (outcome.kind !== "ok") return unchanged(state);
  return {
    state: { ...state, webhook: outcome.webhook, updatedAt: ctx.now },
    timeline: [{ type: "webhook.redeliver", detail: {} }],
  };
}

function onIndexAcknowledged(state: GenerationState, revision: number, fingerprint: string): Transition {
  if (state.indexed !== undefined && state.indexed.revision >= revision) return unchanged(state);
  const { indexRetryAt: _retry, ...rest } = state;
  return { state: { ...rest, indexed: { revision, fingerprint } }, timeline: [], deferrable: true };
}

/**
 * Marks the generation for deletion. A running one is canceled first,
 * silently: no timeline entry (the timeline goes too), and its webhook is
 * dropped, so neither the cancel nor any message still scheduled is sent.
 * What the client sent and what it made (input, metadata, webhook, video)
 * is dropped from the state at once; what is kept, while an upstream task
 * it started may still run, is that task's id, the client, the deadline and
 * the credit figure, for the slot and the budget. Nothing else is due but
 * the erasure itself (and the polls of that task).
 */
function onEraseRequested(state: GenerationState, reason: ErasureReason, now: number): Transition {
  const running = !isTerminal(state.status);
  const draining = holdsSlot(state) && taskOf(state) !== "none";
  const stillPolling = draining && taskOf(state) === "running";
  return {
    state: {
      ...state,
      input: {},
      inlineMedia: [],
      metadata: {},
      status: running ? "canceled" : state.status,
      upstream: { ...state.upstream, task: draining ? taskOf(state) : "ended" },
      download: { url: null, attempts: state.download.attempts, lastError: null },
      video: null,
      error: null,
      completedAt: state.completedAt ?? now,
      nextActionAt: stillPolling ? (state.nextActionAt ?? now) : null,
      webhook: null,
      updatedAt: now,
      erasing: { reason, at: now },
    },
    timeline: [],
  };
}

function unchanged(state: GenerationState | null): Transition {
  return { state, timeline: [] };
}

const NOTIFY_ON: Partial<Record<GenerationStatus, WebhookEventName>> = {
  completed: "completed",
  failed: "failed",
  canceled: "canceled",
};

/** `started` marks leaving the queue for work, even when the first answer after it is already "completed". */
const startsWork = (from: GenerationStatus, to: GenerationStatus): boolean =>
  from === "queued" && (to === "generating" || to === "storing");

/** `webhook-id` of a generation's webhook event: one per event, stable across retries and redeliveries. */
const webhookMessageId = (generationId: string, event: WebhookEventName): string =>
  `msg_${generationId.replace(/^gen_/, "")}_${event}`;

/**
 * Accumulates one work event's transition; keeps the cases short and uniform.
 * A status change that a webhook asked for enqueues its webhook event, with
 * the Generation as it is after the change.
 */
class Builder {
  state: GenerationState;
  /** The video's signed link, when the event brings one (`stored`): the webhook body carries it. */
  link: string | null = null;
  private readonly timeline: TimelineEntry[] = [];
  private readonly notify: WebhookEventName[] = [];

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

  /** Keeps the upstream's latest credit figure (it replaces the earlier one), noted in the timeline when it changes. */
  credits(figure: number | null): this {
    if (figure === null || figure === (this.state.upstream.credits ?? null)) return this;
    this.note("upstream.credits", { credits: figure });
    return this.set({ upstream: { ...this.state.upstream, credits: figure } });
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
    return { state: this.withWebhookEvents(), timeline: this.timeline };
  }

  /** One webhook message per status event the webhook asked for, carrying the Generation after the change. */
  private withWebhookEvents(): GenerationState {
    let webhook = this.state.webhook;
    const events = this.notify.filter((name) => wantsEvent(webhook, name));
    if (webhook === null || events.length === 0) return this.state;
    const { now, retention } = this.ctx;
    const data = toGeneration(this.state, this.state.video ? this.link : null, retention);
    for (const name of events) {
      const type = `generation.${name}` as const;
      const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
      webhook = enqueue(webhook, { msgId: webhookMessageId(this.state.id, name), type, body }, now);
    }
    return { ...this.state, webhook };
  }
}
