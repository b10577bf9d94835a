/**
 * The lifecycle reducer, pure: every transition, without any binding.
 */
import { describe, expect, it } from "vitest";
import {
  nextAlarmAt,
  nextStep,
  ownsSubmission,
  reduce,
  type LifecycleContext,
  type LifecycleEvent,
  type Transition,
} from "../../src/generation/lifecycle.ts";
import { indexFingerprint, type GenerationState } from "../../src/generation/state.ts";
import { describeUpstreamError, taskState } from "../../src/upstream/aimlapi/status.ts";
import type { PollOutcome } from "../../src/upstream/port.ts";
import { WEBHOOK_EVENT_NAMES } from "../../src/vocabulary.ts";
import { queuedState, T0 } from "./generation-state.ts";

const POLL_MS = 10_000;
const ctx = (now = T0 + 1_000): LifecycleContext => ({
  now,
  pollIntervalMs: POLL_MS,
  retention: { ms: 0, seriesSpanMs: 0 },
  webhookRetryScheduleMs: [5_000, 300_000],
  indexRetryMs: 5_000,
});
const LINK = "https://relay.example/v1/generations/gen_x/video?expires=1&signature=s";

/**
 * A state as the client index last saw it (unless `overrides` says
 * otherwise), with a webhook that asks for every event, so the events a
 * transition announces show as the webhook messages it enqueues.
 */
function fresh(overrides: Partial<GenerationState> = {}): GenerationState {
  const state = queuedState({
    webhook: { url: "https://hooks.example/x", events: [...WEBHOOK_EVENT_NAMES], messages: [] },
    ...overrides,
  });
  return "indexed" in overrides ? state : { ...state, indexed: { revision: 1, fingerprint: indexFingerprint(state) } };
}

/** One event applied to an existing generation: the state after it, and the webhook events it announced. */
function step(
  state: GenerationState,
  event: LifecycleEvent,
  context: LifecycleContext = ctx(),
): Transition & { state: GenerationState; notify: string[] } {
  const transition = reduce(state, event, context);
  if (transition.state === null) throw new Error("the generation is gone");
  const before = state.webhook?.messages.length ?? 0;
  const notify = (transition.state.webhook?.messages ?? []).slice(before).map((m) => m.type.replace("generation.", ""));
  return { ...transition, state: transition.state, notify };
}

/** A submission on its way to the upstream. */
const inFlight = (): GenerationState => fresh({ submit: { attempts: 1, inFlight: true } });

const submitted = (overrides: Partial<GenerationState> = {}): GenerationState =>
  fresh({
    upstream: { adapter: "aimlapi", id: "up-1", status: "queued", polls: 0, lastOutcome: "queued" },
    ...overrides,
  });

/** A status answer with the upstream's word `word`, as the AI/ML API adapter translates it. */
const polled = (word: string, extra: { videoUrl?: string; error?: unknown; credits?: number } = {}): LifecycleEvent => {
  const state = taskState(word);
  const outcome: PollOutcome = {
    kind: "status",
    state,
    word,
    videoUrl: extra.videoUrl ?? null,
    failure: state === "failed" ? describeUpstreamError(extra.error ?? null) : null,
    credits: extra.credits ?? null,
  };
  return { type: "polled", outcome };
};

describe("submission", () => {
  it("asks for a submit first, then polls once the upstream took the task", () => {
    expect(nextStep(fresh())).toBe("submit");
    expect(nextStep(submitted())).toBe("poll");
  });

  it("fails as input_missing, with nothing in flight, when a stored data: URI is gone", () => {
    const { state, notify } = step(fresh(), { type: "input_missing", reason: "the stored input k is gone" }, ctx());
    expect(state.status).toBe("failed");
    expect(state.error).toEqual({ code: "input_missing", message: expect.stringContaining("k is gone") });
    expect(state.submit).toEqual({ attempts: 0, inFlight: false });
    expect(notify).toEqual(["failed"]);
  });

  it("marks the submission in flight before it leaves", () => {
    const { state } = step(fresh(), { type: "submit_started" }, ctx());
    expect(state.submit).toEqual({ attempts: 1, inFlight: true });
  });

  it("stays queued when the upstream accepts, and polls after one interval", () => {
    const { state, timeline } = step(
      fresh({ submit: { attempts: 1, inFlight: true } }),
      { type: "submitted", outcome: { kind: "accepted", upstreamId: "up-1", credits: null } },
      ctx(),
    );
    expect(state.status).toBe("queued");
    expect(state.upstream.id).toBe("up-1");
    expect(state.submit.inFlight).toBe(false);
    expect(state.nextActionAt).toBe(T0 + 1_000 + POLL_MS);
    expect(timeline.map((n) => n.type)).toEqual(["upstream.submitted"]);
  });

  it("retries a submission the upstream did not take (5xx, 429) with growing delays", () => {
    let state = fresh();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      state = step(state, { type: "submit_started" }).state;
      state = step(state, { type: "submitted", outcome: { kind: "retryable", reason: "HTTP 503" } }, ctx()).state;
      delays.push((state.nextActionAt ?? 0) - (T0 + 1_000));
    }
    expect(state.status).toBe("queued");
    expect(state.submit).toEqual({ attempts: 3, inFlight: false });
    expect(delays).toEqual([POLL_MS, 2 * POLL_MS, 4 * POLL_MS]);
  });

  it("honours Retry-After on a 429 when it is longer", () => {
    const { state } = step(
      inFlight(),
      { type: "submitted", outcome: { kind: "retryable", reason: "HTTP 429", retryAfterMs: 45_000 } },
      ctx(),
    );
    expect(state.nextActionAt).toBe(T0 + 1_000 + 45_000);
  });

  it("fails with upstream_rejected when the upstream refuses the task", () => {
    const { state, notify } = step(
      inFlight(),
      { type: "submitted", outcome: { kind: "rejected", reason: "Insufficient credits", httpStatus: 403 } },
      ctx(),
    );
    expect(state.status).toBe("failed");
    expect(state.error?.code).toBe("upstream_rejected");
    expect(state.error?.message).toContain("Insufficient credits");
    expect(notify).toEqual(["failed"]);
  });

  it("fails with submit_uncertain rather than submitting twice when the outcome is unknown", () => {
    const { state } = step(
      inFlight(),
      { type: "submitted", outcome: { kind: "uncertain", reason: "network error" } },
      ctx(),
    );
    expect(state.error?.code).toBe("submit_uncertain");
    expect(nextStep(state)).toBeNull();
  });

  it("fails with submit_uncertain when an alarm finds a submission still in flight (the runtime died)", () => {
    const { state } = step(fresh({ submit: { attempts: 1, inFlight: true } }), { type: "tick" }, ctx());
    expect(state.status).toBe("failed");
    expect(state.error?.code).toBe("submit_uncertain");
  });
});

describe("polling", () => {
  it("keeps a queued generation queued while the upstream says 'queued'", () => {
    const { state } = step(submitted(), polled("queued"), ctx());
    expect(state.status).toBe("queued");
    expect(state.upstream.polls).toBe(1);
  });

  it.each(["waiting", "active", "generating"])("moves to generating when the upstream reports '%s'", (word) => {
    const { state, notify } = step(submitted(), polled(word), ctx());
    expect(state.status).toBe("generating");
    expect(notify).toEqual(["started"]);
  });

  it("treats an unknown status word as still running", () => {
    const { state } = step(submitted(), polled("thinking-hard"), ctx());
    expect(state.status).toBe("generating");
    expect(nextStep(state)).toBe("poll");
    expect(state.nextActionAt).toBe(T0 + 1_000 + POLL_MS);
  });

  it("does not go back to queued when a running task reports 'queued' again", () => {
    const { state } = step(submitted({ status: "generating" }), polled("queued"), ctx());
    expect(state.status).toBe("generating");
  });

  it("records an upstream status in the timeline only when it changes", () => {
    let state = submitted();
    const types: string[] = [];
    for (const word of ["generating", "generating", "generating", "active"]) {
      const t = step(state, polled(word), ctx());
      state = t.state;
      types.push(...t.timeline.filter((n) => n.type === "upstream.status").map((n) => String(n.detail.status)));
    }
    expect(types).toEqual(["generating", "active"]);
    expect(state.upstream.polls).toBe(4);
  });

  it("moves to storing with the video URL when the upstream completes", () => {
    const { state } = step(
      submitted({ status: "generating" }),
      polled("completed", { videoUrl: "https://cdn/v.mp4" }),
      ctx(),
    );
    expect(state.status).toBe("storing");
    expect(state.download.url).toBe("https://cdn/v.mp4");
    expect(nextStep(state)).toBe("store");
    expect(state.nextActionAt).toBe(T0 + 1_000);
  });

  it("takes 'succeeded' as done, like 'completed'", () => {
    const { state } = step(
      submitted({ status: "generating" }),
      polled("succeeded", { videoUrl: "https://cdn/v.mp4" }),
      ctx(),
    );
    expect(state.status).toBe("storing");
    expect(state.download.url).toBe("https://cdn/v.mp4");
    expect(state.upstream.status).toBe("succeeded");
  });

  it("announces started when the first answer after the queue is already 'completed'", () => {
    const { state, notify } = step(submitted(), polled("completed", { videoUrl: "https://cdn/v.mp4" }), ctx());
    expect(state.status).toBe("storing");
    expect(notify).toEqual(["started"]);
  });

  it("announces started only once", () => {
    const { state } = step(submitted(), polled("generating"), ctx());
    const { notify } = step(state, polled("completed", { videoUrl: "https://cdn/v.mp4" }), ctx());
    expect(notify).toEqual([]);
  });

  it("keeps polling when 'completed' comes without a video URL", () => {
    const { state } = step(submitted({ status: "generating" }), polled("completed"), ctx());
    expect(state.status).toBe("generating");
    expect(nextStep(state)).toBe("poll");
  });

  it.each(["error", "failed"])("fails with upstream_error when the upstream reports '%s'", (word) => {
    const { state } = step(
      submitted(),
      polled(word, { error: { name: "ContentPolicy", message: "prompt rejected" } }),
      ctx(),
    );
    expect(state.status).toBe("failed");
    expect(state.error).toEqual({ code: "upstream_error", message: "ContentPolicy: prompt rejected" });
  });

  it("records a transient poll failure and polls again at the next tick", () => {
    const { state, timeline } = step(
      submitted({ status: "generating" }),
      { type: "polled", outcome: { kind: "retryable", reason: "HTTP 502" } },
      ctx(),
    );
    expect(state.status).toBe("generating");
    expect(state.nextActionAt).toBe(T0 + 1_000 + POLL_MS);
    expect(timeline[0]?.type).toBe("upstream.poll_failed");
  });

  it("waits for Retry-After on a 429 poll when it is longer than the interval", () => {
    const { state } = step(
      submitted(),
      { type: "polled", outcome: { kind: "retryable", reason: "HTTP 429", retryAfterMs: 60_000 } },
      ctx(),
    );
    expect(state.nextActionAt).toBe(T0 + 1_000 + 60_000);
  });

  it("fails with upstream_lost when the upstream no longer knows the task", () => {
    const { state } = step(submitted(), { type: "polled", outcome: { kind: "lost", reason: "HTTP 404" } }, ctx());
    expect(state.error?.code).toBe("upstream_lost");
  });
});

describe("storing", () => {
  const storing = () =>
    submitted({ status: "storing", download: { url: "https://cdn/v.mp4", attempts: 0, lastError: null } });
  const video = { key: "videos/x.mp4", bytes: 10, sha256: "ab", contentType: "video/mp4" };

  it("completes when the bytes are in R2", () => {
    const { state, notify } = step(storing(), { type: "stored", video, link: LINK }, ctx(T0 + 5_000));
    expect(state.status).toBe("completed");
    expect(state.video).toEqual(video);
    expect(state.completedAt).toBe(T0 + 5_000);
    expect(nextStep(state)).toBeNull();
    expect(notify).toEqual(["completed"]);
  });

  it("retries a cut download with backoff, staying in storing", () => {
    let state = storing();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      state = step(state, { type: "store_failed", reason: "copy cut after 100 bytes" }, ctx()).state;
      delays.push((state.nextActionAt ?? 0) - (T0 + 1_000));
    }
    expect(state.status).toBe("storing");
    expect(state.download.attempts).toBe(4);
    expect(delays).toEqual([POLL_MS, 2 * POLL_MS, 4 * POLL_MS, 6 * POLL_MS]);
  });

  it("fails with download_failed at once when the video link is refused for good", () => {
    const { state, notify } = step(
      storing(),
      { type: "store_failed", reason: "refused a video link that is not https (http:)", permanent: true },
      ctx(),
    );
    expect(state.status).toBe("failed");
    expect(state.error).toEqual({
      code: "download_failed",
      message: "The video could not be copied: refused a video link that is not https (http:)",
    });
    expect(state.download.attempts).toBe(1);
    expect(notify).toEqual(["failed"]);
  });

  it("fails with download_failed when the deadline passes while copies keep failing", () => {
    const failing = step(storing(), { type: "store_failed", reason: "cut" }, ctx()).state;
    const { state } = step(failing, { type: "tick" }, ctx(T0 + 1_800_000));
    expect(state.error?.code).toBe("download_failed");
  });
});

describe("deadline and cancel", () => {
  it("fails with timeout at the deadline", () => {
    const { state, notify } = step(submitted({ status: "generating" }), { type: "tick" }, ctx(T0 + 1_800_000));
    expect(state.status).toBe("failed");
    expect(state.error?.code).toBe("timeout");
    expect(notify).toEqual(["failed"]);
  });

  it("does nothing on a tick before the deadline", () => {
    const before = submitted({ status: "generating" });
    const { state, timeline } = step(before, { type: "tick" }, ctx());
    expect(state).toBe(before);
    expect(timeline).toEqual([]);
  });

  it("cancels a running generation: no more work for it, only the wait for its upstream task", () => {
    const { state, notify } = step(submitted({ status: "generating" }), { type: "cancel_requested" }, ctx());
    expect(state.status).toBe("canceled");
    expect(notify).toEqual(["canceled"]);
    // The task it started runs on upstream, paid: it is polled, silently, until it ends.
    expect(state.upstream.task).toBe("running");
    expect(nextStep(state)).toBe("poll");
    const ended = step(state, polled("completed", { videoUrl: "https://cdn/v.mp4", credits: 7 })).state;
    expect(ended).toMatchObject({ status: "canceled", video: null, nextActionAt: null });
    expect(ended.upstream).toMatchObject({ task: "ended", credits: 7 });
    expect(nextStep(ended)).toBeNull();
  });

  it("cancels a generation not yet submitted with nothing left to do", () => {
    const { state } = step(fresh(), { type: "cancel_requested" }, ctx());
    expect(state.status).toBe("canceled");
    expect(nextStep(state)).toBeNull();
    expect(state.nextActionAt).toBeNull();
  });
});

describe("a step that crashed", () => {
  it("is retried with backoff and recorded, keeping the status", () => {
    const { state, timeline } = step(
      submitted({ status: "generating", failures: 1 }),
      { type: "step_crashed", reason: "poll: TypeError: x" },
      ctx(),
    );
    expect(state.status).toBe("generating");
    expect(state.nextActionAt).toBe(T0 + 1_000 + 2 * POLL_MS);
    expect(timeline).toEqual([
      { type: "alarm.error", detail: { reason: "poll: TypeError: x", retry_in_ms: 2 * POLL_MS } },
    ]);
  });

  it("leaves an interrupted submission for the next tick to judge uncertain", () => {
    const crashed = step(
      fresh({ submit: { attempts: 1, inFlight: true } }),
      { type: "step_crashed", reason: "submit: boom" },
      ctx(),
    ).state;
    expect(crashed.submit.inFlight).toBe(true);
    expect(step(crashed, { type: "tick" }, ctx()).state.error?.code).toBe("submit_uncertain");
  });
});

describe("when the alarm next runs", () => {
  const INDEX_RETRY_MS = 5_000;
  const OPTIONS = { retention: { ms: 0, seriesSpanMs: 0 }, retryMs: INDEX_RETRY_MS };
  const now = T0 + 1_000;
  const webhook = (nextAttemptAt: number | null, leaseUntil: number | null = null): GenerationState["webhook"] => ({
    url: "https://hooks.example/x",
    events: ["completed"],
    messages: [
      {
        msgId: "msg_1",
        type: "generation.completed",
        body: "{}",
        state: nextAttemptAt === null ? "delivered" : "pending",
        attempts: 1,
        lastStatus: null,
        nextAttemptAt,
        leaseUntil,
        series: 1,
      },
    ],
  });

  it("wakes for the next step of a running generation", () => {
    expect(nextAlarmAt(submitted({ nextActionAt: now + POLL_MS }), now, OPTIONS)).toBe(now + POLL_MS);
  });

  it("wakes at the deadline when no step is due before it", () => {
    const state = submitted({ nextActionAt: T0 + 3_600_000 });
    expect(nextAlarmAt(state, now, OPTIONS)).toBe(state.deadlineAt);
  });

  it("wakes for a webhook attempt, or the end of its lease, before the next step", () => {
    const state = submitted({ nextActionAt: now + POLL_MS, webhook: webhook(now + 2_000) });
    expect(nextAlarmAt(state, now, OPTIONS)).toBe(now + 2_000);
    const leased = submitted({ nextActionAt: now + POLL_MS, webhook: webhook(now, now + 3_000) });
    expect(nextAlarmAt(leased, now, OPTIONS)).toBe(now + 3_000);
  });

  it("retries an index update the client index has not acknowledged, from the time of the change", () => {
    const acknowledged = indexFingerprint(submitted({ status: "generating" }));
    const state = submitted({
      status: "completed",
      nextActionAt: null,
      indexed: { revision: 3, fingerprint: acknowledged },
      updatedAt: now,
    });
    expect(nextAlarmAt(state, now, OPTIONS)).toBe(now + INDEX_RETRY_MS);
  });

  it("sets no alarm once the generation is terminal, indexed and its webhook ended", () => {
    const state = submitted({ status: "failed", nextActionAt: null, webhook: webhook(null) });
    expect(nextAlarmAt(state, now, OPTIONS)).toBeNull();
  });

  it("never asks for a time in the past: overdue work is due now", () => {
    expect(nextAlarmAt(fresh({ nextActionAt: T0 }), now, OPTIONS)).toBe(now);
  });
});

describe("terminal states absorb every event", () => {
  const terminal = [
    submitted({ status: "completed", completedAt: T0 }),
    submitted({ status: "failed", error: { code: "timeout", message: "x" }, completedAt: T0 }),
    submitted({ status: "canceled", completedAt: T0 }),
  ];
  const events: LifecycleEvent[] = [
    { type: "submit_started" },
    { type: "submitted", outcome: { kind: "accepted", upstreamId: "late", credits: null } },
    polled("completed", { videoUrl: "https://cdn/v.mp4" }),
    polled("error"),
    { type: "stored", video: { key: "k", bytes: 1, sha256: "s", contentType: "video/mp4" }, link: LINK },
    { type: "store_failed", reason: "cut" },
    { type: "cancel_requested" },
    { type: "step_crashed", reason: "bug" },
    { type: "tick" },
  ];
  for (const state of terminal) {
    it.each(events.map((event) => [event.type, event] as const))(`${state.status} ignores %s`, (_name, event) => {
      const result = step(state, event, ctx(T0 + 10_000_000));
      expect(result.state).toBe(state);
      expect(result.notify).toEqual([]);
    });
  }
});

describe("creation", () => {
  const params = {
    id: "gen_0000000000bbbbbbbbbbbbbbbb",
    clientId: "alice",
    model: "alibaba/wan2.5-t2v-preview",
    input: { prompt: "a heron" },
    inlineMedia: [],
    webhook: null,
    metadata: {},
    requestOrigin: "https://relay.example",
  };
  const created: LifecycleEvent = { type: "created", generation: params, adapter: "simulator", timeoutMs: 60_000 };

  it("creates a queued generation whose submission is due at once", () => {
    const { state, timeline } = reduce(null, created, ctx());
    expect(state).toMatchObject({ id: params.id, status: "queued", nextActionAt: T0 + 1_000, deadlineAt: T0 + 61_000 });
    expect(state?.upstream.adapter).toBe("simulator");
    expect(timeline).toEqual([{ type: "generation.created", detail: { upstream: "simulator", webhook: false } }]);
  });

  it("is idempotent: a generation that exists is left as it is", () => {
    const existing = fresh();
    expect(reduce(existing, created, ctx())).toEqual({ state: existing, timeline: [] });
  });

  it("takes no other event before it", () => {
    expect(reduce(null, { type: "tick" }, ctx())).toEqual({ state: null, timeline: [] });
  });
});

describe("who owns a submission", () => {
  it("starts a submission only when one is due, not twice", () => {
    const started = step(fresh(), { type: "submit_started" }).state;
    expect(ownsSubmission(fresh(), started)).toBe(true);
    const again = step(started, { type: "submit_started" }).state;
    expect(again).toBe(started);
    expect(ownsSubmission(started, again)).toBe(false);
  });

  it("starts none for a canceled generation: a cancel while the inputs were read wins", () => {
    const canceled = step(fresh(), { type: "cancel_requested" }).state;
    const after = reduce(canceled, { type: "submit_started" }, ctx()).state;
    expect(after).toBe(canceled);
    expect(ownsSubmission(fresh(), after)).toBe(false);
  });

  it("starts none for a generation being erased", () => {
    const erasing = step(fresh(), { type: "erase_requested", reason: "purged" }).state;
    expect(ownsSubmission(fresh(), reduce(erasing, { type: "submit_started" }, ctx()).state)).toBe(false);
  });

  it("ignores an answer when no submission is in flight", () => {
    const state = fresh();
    expect(
      step(state, { type: "submitted", outcome: { kind: "accepted", upstreamId: "x", credits: null } }).state,
    ).toBe(state);
  });
});

describe("storage bookkeeping", () => {
  it("records the start of a copy in the timeline only", () => {
    const storing = fresh({ status: "storing", download: { url: "https://cdn/v.mp4", attempts: 2, lastError: "cut" } });
    const { state, timeline } = step(storing, { type: "store_started" });
    expect(state).toBe(storing);
    expect(timeline).toEqual([{ type: "storage.started", detail: { attempt: 3 } }]);
  });

  it("ignores a copy that ends when the generation is no longer storing", () => {
    const generating = fresh({ status: "generating" });
    const video = { key: "k", bytes: 1, sha256: "s", contentType: "video/mp4" };
    expect(step(generating, { type: "stored", video, link: LINK }).state).toBe(generating);
  });

  it("puts the signed link into the completed webhook event's body", () => {
    const storing = fresh({ status: "storing", download: { url: "https://cdn/v.mp4", attempts: 0, lastError: null } });
    const video = { key: "k", bytes: 1, sha256: "s", contentType: "video/mp4" };
    const { state } = step(storing, { type: "stored", video, link: LINK });
    const message = state.webhook?.messages.at(-1);
    expect(message?.type).toBe("generation.completed");
    const body = JSON.parse(message?.body ?? "{}") as { data: { status: string; video: { url: string } } };
    expect(body.data.status).toBe("completed");
    expect(body.data.video.url).toBe(LINK);
  });
});

describe("webhook bookkeeping", () => {
  const canceled = () => step(fresh({ status: "generating" }), { type: "cancel_requested" }).state;
  const msgId = (state: GenerationState) => state.webhook?.messages[0]?.msgId ?? "";

  it("enqueues one message per event, with a webhook-id stable for the generation and event", () => {
    const state = canceled();
    expect(state.webhook?.messages.map((m) => [m.msgId, m.type, m.state])).toEqual([
      ["msg_0000000000aaaaaaaaaaaaaaaa_canceled", "generation.canceled", "pending"],
    ]);
  });

  it("leases the messages being attempted", () => {
    const state = canceled();
    const leased = step(state, { type: "webhook_leased", msgIds: [msgId(state)], until: T0 + 50_000 }).state;
    expect(leased.webhook?.messages[0]?.leaseUntil).toBe(T0 + 50_000);
  });

  it("counts an attempt of the current series and records it in the timeline", () => {
    const state = canceled();
    const result = { kind: "response", status: 500, retryAfterMs: null } as const;
    const after = step(state, { type: "webhook_attempted", msgId: msgId(state), series: 1, result, startedAt: T0 });
    expect(after.state.webhook?.messages[0]).toMatchObject({ attempts: 1, lastStatus: 500, state: "pending" });
    expect(after.timeline).toEqual([
      {
        type: "webhook.attempt",
        detail: expect.objectContaining({ attempt: 1, outcome: "pending", status: 500, series: 1 }),
      },
    ]);
  });

  it("records, without counting, an attempt of a series that has ended", () => {
    const state = canceled();
    const result = { kind: "response", status: 200, retryAfterMs: null } as const;
    const after = step(state, { type: "webhook_attempted", msgId: msgId(state), series: 7, result, startedAt: T0 });
    expect(after.state).toBe(state);
    expect(after.timeline[0]?.detail).toMatchObject({ attempt: null, outcome: "superseded" });
  });

  it("starts a fresh series on redelivery once the last one has ended, with the link it is given", () => {
    const state = canceled();
    const result = { kind: "response", status: 200, retryAfterMs: null } as const;
    const delivered = step(state, {
      type: "webhook_attempted",
      msgId: msgId(state),
      series: 1,
      result,
      startedAt: T0,
    }).state;
    const again = step(delivered, { type: "redeliver_requested", link: null });
    expect(again.state.webhook?.messages[0]).toMatchObject({ state: "pending", series: 2, attempts: 0 });
    expect(again.timeline).toEqual([{ type: "webhook.redeliver", detail: {} }]);
  });

  it("changes nothing on redelivery while the series is pending", () => {
    const state = canceled();
    expect(step(state, { type: "redeliver_requested", link: null })).toMatchObject({ state, timeline: [] });
  });
});

describe("client index bookkeeping", () => {
  it("remembers the newest acknowledged revision, and no older one", () => {
    const state = fresh({ status: "generating", indexRetryAt: T0 + 9_000 });
    const transition = step(state, { type: "index_acknowledged", revision: 4, fingerprint: indexFingerprint(state) });
    // Only a record of what the index holds: the store may write it with the next change.
    expect(transition.deferrable).toBe(true);
    const acknowledged = transition.state;
    expect(acknowledged.indexed).toEqual({ revision: 4, fingerprint: indexFingerprint(state) });
    expect(acknowledged.indexRetryAt).toBeUndefined();
    const older = step(acknowledged, { type: "index_acknowledged", revision: 3, fingerprint: "old" }).state;
    expect(older).toBe(acknowledged);
  });

  it("retries a failed index update after indexRetryMs, and the alarm wakes for it", () => {
    const state = fresh({ status: "generating", indexed: { revision: 1, fingerprint: "older" } });
    const failed = step(state, { type: "index_failed", reason: "boom" }, ctx(T0 + 2_000)).state;
    expect(failed.indexRetryAt).toBe(T0 + 7_000);
    expect(
      nextAlarmAt({ ...failed, nextActionAt: null }, T0 + 2_000, {
        retention: { ms: 0, seriesSpanMs: 0 },
        retryMs: 5_000,
      }),
    ).toBe(T0 + 7_000);
  });
});

describe("erasure", () => {
  it("cancels a running generation silently: no timeline entry, no webhook event, nothing due", () => {
    const { state, timeline } = step(fresh({ status: "generating" }), { type: "erase_requested", reason: "purged" });
    expect(state).toMatchObject({ status: "canceled", webhook: null, nextActionAt: null });
    expect(state.erasing).toEqual({ reason: "purged", at: T0 + 1_000 });
    expect(timeline).toEqual([]);
  });

  it("absorbs every event afterwards", () => {
    const erasing = step(fresh(), { type: "erase_requested", reason: "expired" }).state;
    for (const event of [
      { type: "tick" },
      { type: "cancel_requested" },
      { type: "index_failed", reason: "x" },
      { type: "erase_requested", reason: "purged" },
    ] as LifecycleEvent[]) {
      expect(reduce(erasing, event, ctx()).state).toBe(erasing);
    }
  });
});
