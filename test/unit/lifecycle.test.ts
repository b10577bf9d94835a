/**
 * The lifecycle reducer, pure: every transition, without any binding.
 */
import { describe, expect, it } from "vitest";
import {
  describeUpstreamError,
  nextAlarmAt,
  nextStep,
  reduce,
  type LifecycleEvent,
} from "../../src/generation/lifecycle.ts";
import { indexFingerprint, type GenerationState } from "../../src/generation/state.ts";
import type { PollOutcome } from "../../src/upstream/port.ts";
import { queuedState, T0 } from "./generation-state.ts";

const POLL_MS = 10_000;
const ctx = (now = T0 + 1_000) => ({ now, pollIntervalMs: POLL_MS });

/** A state as the client index last saw it (unless `overrides` says otherwise). */
function fresh(overrides: Partial<GenerationState> = {}): GenerationState {
  const state = queuedState(overrides);
  return "indexed" in overrides ? state : { ...state, indexed: { version: 1, fingerprint: indexFingerprint(state) } };
}

const submitted = (overrides: Partial<GenerationState> = {}): GenerationState =>
  fresh({
    upstream: { adapter: "aimlapi", id: "up-1", status: "queued", polls: 0, lastOutcome: "queued" },
    ...overrides,
  });

const polled = (status: string, extra: Partial<Extract<PollOutcome, { kind: "status" }>> = {}): LifecycleEvent => ({
  type: "polled",
  outcome: { kind: "status", status, videoUrl: null, error: null, ...extra },
});

describe("submission", () => {
  it("asks for a submit first, then polls once the upstream took the task", () => {
    expect(nextStep(fresh())).toBe("submit");
    expect(nextStep(submitted())).toBe("poll");
  });

  it("fails as input_missing, with nothing in flight, when a stored data: URI is gone", () => {
    const { state, notify } = reduce(fresh(), { type: "input_missing", reason: "the stored input k is gone" }, ctx());
    expect(state.status).toBe("failed");
    expect(state.error).toEqual({ code: "input_missing", message: expect.stringContaining("k is gone") });
    expect(state.submit).toEqual({ attempts: 0, inFlight: false });
    expect(notify).toEqual(["failed"]);
  });

  it("marks the submission in flight before it leaves", () => {
    const { state } = reduce(fresh(), { type: "submit_started" }, ctx());
    expect(state.submit).toEqual({ attempts: 1, inFlight: true });
  });

  it("stays queued when the upstream accepts, and polls after one interval", () => {
    const { state, timeline } = reduce(
      fresh({ submit: { attempts: 1, inFlight: true } }),
      { type: "submitted", outcome: { kind: "accepted", upstreamId: "up-1" } },
      ctx(),
    );
    expect(state.status).toBe("queued");
    expect(state.upstream.id).toBe("up-1");
    expect(state.submit.inFlight).toBe(false);
    expect(state.nextActionAt).toBe(T0 + 1_000 + POLL_MS);
    expect(timeline.map((n) => n.type)).toEqual(["upstream.submitted"]);
  });

  it("retries a submission the upstream did not take (5xx, 429) with growing delays", () => {
    let state = fresh({ submit: { attempts: 1, inFlight: true } });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      state = reduce(state, { type: "submitted", outcome: { kind: "retryable", reason: "HTTP 503" } }, ctx()).state;
      delays.push((state.nextActionAt ?? 0) - (T0 + 1_000));
    }
    expect(state.status).toBe("queued");
    expect(delays).toEqual([POLL_MS, 2 * POLL_MS, 4 * POLL_MS]);
  });

  it("honours Retry-After on a 429 when it is longer", () => {
    const { state } = reduce(
      fresh(),
      { type: "submitted", outcome: { kind: "retryable", reason: "HTTP 429", retryAfterMs: 45_000 } },
      ctx(),
    );
    expect(state.nextActionAt).toBe(T0 + 1_000 + 45_000);
  });

  it("fails with upstream_rejected when the upstream refuses the task", () => {
    const { state, notify } = reduce(
      fresh(),
      { type: "submitted", outcome: { kind: "rejected", reason: "Insufficient credits", httpStatus: 403 } },
      ctx(),
    );
    expect(state.status).toBe("failed");
    expect(state.error?.code).toBe("upstream_rejected");
    expect(state.error?.message).toContain("Insufficient credits");
    expect(notify).toEqual(["failed"]);
  });

  it("fails with submit_uncertain rather than submitting twice when the outcome is unknown", () => {
    const { state } = reduce(
      fresh(),
      { type: "submitted", outcome: { kind: "uncertain", reason: "network error" } },
      ctx(),
    );
    expect(state.error?.code).toBe("submit_uncertain");
    expect(nextStep(state)).toBeNull();
  });

  it("fails with submit_uncertain when an alarm finds a submission still in flight (the runtime died)", () => {
    const { state } = reduce(fresh({ submit: { attempts: 1, inFlight: true } }), { type: "tick" }, ctx());
    expect(state.status).toBe("failed");
    expect(state.error?.code).toBe("submit_uncertain");
  });
});

describe("polling", () => {
  it("keeps a queued generation queued while the upstream says 'queued'", () => {
    const { state } = reduce(submitted(), polled("queued"), ctx());
    expect(state.status).toBe("queued");
    expect(state.upstream.polls).toBe(1);
  });

  it.each(["waiting", "active", "generating"])("moves to generating when the upstream reports '%s'", (word) => {
    const { state, notify } = reduce(submitted(), polled(word), ctx());
    expect(state.status).toBe("generating");
    expect(notify).toEqual(["started"]);
  });

  it("treats an unknown status word as still running", () => {
    const { state } = reduce(submitted(), polled("thinking-hard"), ctx());
    expect(state.status).toBe("generating");
    expect(nextStep(state)).toBe("poll");
    expect(state.nextActionAt).toBe(T0 + 1_000 + POLL_MS);
  });

  it("does not go back to queued when a running task reports 'queued' again", () => {
    const { state } = reduce(submitted({ status: "generating" }), polled("queued"), ctx());
    expect(state.status).toBe("generating");
  });

  it("records an upstream status in the timeline only when it changes", () => {
    let state = submitted();
    const types: string[] = [];
    for (const word of ["generating", "generating", "generating", "active"]) {
      const t = reduce(state, polled(word), ctx());
      state = t.state;
      types.push(...t.timeline.filter((n) => n.type === "upstream.status").map((n) => String(n.detail.status)));
    }
    expect(types).toEqual(["generating", "active"]);
    expect(state.upstream.polls).toBe(4);
  });

  it("moves to storing with the video URL when the upstream completes", () => {
    const { state } = reduce(
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
    const { state } = reduce(
      submitted({ status: "generating" }),
      polled("succeeded", { videoUrl: "https://cdn/v.mp4" }),
      ctx(),
    );
    expect(state.status).toBe("storing");
    expect(state.download.url).toBe("https://cdn/v.mp4");
    expect(state.upstream.status).toBe("succeeded");
  });

  it("announces started when the first answer after the queue is already 'completed'", () => {
    const { state, notify } = reduce(submitted(), polled("completed", { videoUrl: "https://cdn/v.mp4" }), ctx());
    expect(state.status).toBe("storing");
    expect(notify).toEqual(["started"]);
  });

  it("announces started only once", () => {
    const { state } = reduce(submitted(), polled("generating"), ctx());
    const { notify } = reduce(state, polled("completed", { videoUrl: "https://cdn/v.mp4" }), ctx());
    expect(notify).toEqual([]);
  });

  it("keeps polling when 'completed' comes without a video URL", () => {
    const { state } = reduce(submitted({ status: "generating" }), polled("completed"), ctx());
    expect(state.status).toBe("generating");
    expect(nextStep(state)).toBe("poll");
  });

  it.each(["error", "failed"])("fails with upstream_error when the upstream reports '%s'", (word) => {
    const { state } = reduce(
      submitted(),
      polled(word, { error: { name: "ContentPolicy", message: "prompt rejected" } }),
      ctx(),
    );
    expect(state.status).toBe("failed");
    expect(state.error).toEqual({ code: "upstream_error", message: "ContentPolicy: prompt rejected" });
  });

  it("records a transient poll failure and polls again at the next tick", () => {
    const { state, timeline } = reduce(
      submitted({ status: "generating" }),
      { type: "polled", outcome: { kind: "retryable", reason: "HTTP 502" } },
      ctx(),
    );
    expect(state.status).toBe("generating");
    expect(state.nextActionAt).toBe(T0 + 1_000 + POLL_MS);
    expect(timeline[0]?.type).toBe("upstream.poll_failed");
  });

  it("waits for Retry-After on a 429 poll when it is longer than the interval", () => {
    const { state } = reduce(
      submitted(),
      { type: "polled", outcome: { kind: "retryable", reason: "HTTP 429", retryAfterMs: 60_000 } },
      ctx(),
    );
    expect(state.nextActionAt).toBe(T0 + 1_000 + 60_000);
  });

  it("fails with upstream_lost when the upstream no longer knows the task", () => {
    const { state } = reduce(submitted(), { type: "polled", outcome: { kind: "lost", reason: "HTTP 404" } }, ctx());
    expect(state.error?.code).toBe("upstream_lost");
  });
});

describe("storing", () => {
  const storing = () =>
    submitted({ status: "storing", download: { url: "https://cdn/v.mp4", attempts: 0, lastError: null } });
  const video = { key: "videos/x.mp4", bytes: 10, sha256: "ab", contentType: "video/mp4" };

  it("completes when the bytes are in R2", () => {
    const { state, notify } = reduce(storing(), { type: "stored", video }, ctx(T0 + 5_000));
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
      state = reduce(state, { type: "store_failed", reason: "copy cut after 100 bytes" }, ctx()).state;
      delays.push((state.nextActionAt ?? 0) - (T0 + 1_000));
    }
    expect(state.status).toBe("storing");
    expect(state.download.attempts).toBe(4);
    expect(delays).toEqual([POLL_MS, 2 * POLL_MS, 4 * POLL_MS, 6 * POLL_MS]);
  });

  it("fails with download_failed at once when the video link is refused for good", () => {
    const { state, notify } = reduce(
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
    const failing = reduce(storing(), { type: "store_failed", reason: "cut" }, ctx()).state;
    const { state } = reduce(failing, { type: "tick" }, ctx(T0 + 1_800_000));
    expect(state.error?.code).toBe("download_failed");
  });
});

describe("deadline and cancel", () => {
  it("fails with timeout at the deadline", () => {
    const { state, notify } = reduce(submitted({ status: "generating" }), { type: "tick" }, ctx(T0 + 1_800_000));
    expect(state.status).toBe("failed");
    expect(state.error?.code).toBe("timeout");
    expect(notify).toEqual(["failed"]);
  });

  it("does nothing on a tick before the deadline", () => {
    const before = submitted({ status: "generating" });
    const { state, timeline } = reduce(before, { type: "tick" }, ctx());
    expect(state).toBe(before);
    expect(timeline).toEqual([]);
  });

  it("cancels a running generation and stops all upstream work", () => {
    const { state, notify } = reduce(submitted({ status: "generating" }), { type: "cancel" }, ctx());
    expect(state.status).toBe("canceled");
    expect(nextStep(state)).toBeNull();
    expect(state.nextActionAt).toBeNull();
    expect(notify).toEqual(["canceled"]);
  });
});

describe("a step that crashed", () => {
  it("is retried with backoff and recorded, keeping the status", () => {
    const { state, timeline } = reduce(
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
    const crashed = reduce(
      fresh({ submit: { attempts: 1, inFlight: true } }),
      { type: "step_crashed", reason: "submit: boom" },
      ctx(),
    ).state;
    expect(crashed.submit.inFlight).toBe(true);
    expect(reduce(crashed, { type: "tick" }, ctx()).state.error?.code).toBe("submit_uncertain");
  });
});

describe("when the alarm next runs", () => {
  const INDEX_RETRY_MS = 5_000;
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
    expect(nextAlarmAt(submitted({ nextActionAt: now + POLL_MS }), now, INDEX_RETRY_MS)).toBe(now + POLL_MS);
  });

  it("wakes at the deadline when no step is due before it", () => {
    const state = submitted({ nextActionAt: T0 + 3_600_000 });
    expect(nextAlarmAt(state, now, INDEX_RETRY_MS)).toBe(state.deadlineAt);
  });

  it("wakes for a webhook attempt, or the end of its lease, before the next step", () => {
    const state = submitted({ nextActionAt: now + POLL_MS, webhook: webhook(now + 2_000) });
    expect(nextAlarmAt(state, now, INDEX_RETRY_MS)).toBe(now + 2_000);
    const leased = submitted({ nextActionAt: now + POLL_MS, webhook: webhook(now, now + 3_000) });
    expect(nextAlarmAt(leased, now, INDEX_RETRY_MS)).toBe(now + 3_000);
  });

  it("retries an index update the client index has not acknowledged", () => {
    const acknowledged = indexFingerprint(submitted({ status: "generating" }));
    const state = submitted({
      status: "completed",
      nextActionAt: null,
      indexed: { version: 3, fingerprint: acknowledged },
    });
    expect(nextAlarmAt(state, now, INDEX_RETRY_MS)).toBe(now + INDEX_RETRY_MS);
  });

  it("sets no alarm once the generation is terminal, indexed and its webhook ended", () => {
    const state = submitted({ status: "failed", nextActionAt: null, webhook: webhook(null) });
    expect(nextAlarmAt(state, now, INDEX_RETRY_MS)).toBeNull();
  });

  it("never asks for a time in the past: overdue work is due now", () => {
    expect(nextAlarmAt(fresh({ nextActionAt: T0 }), now, INDEX_RETRY_MS)).toBe(now);
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
    { type: "submitted", outcome: { kind: "accepted", upstreamId: "late" } },
    polled("completed", { videoUrl: "https://cdn/v.mp4" }),
    polled("error"),
    { type: "stored", video: { key: "k", bytes: 1, sha256: "s", contentType: "video/mp4" } },
    { type: "store_failed", reason: "cut" },
    { type: "cancel" },
    { type: "step_crashed", reason: "bug" },
    { type: "tick" },
  ];
  for (const state of terminal) {
    it.each(events.map((event) => [event.type, event] as const))(`${state.status} ignores %s`, (_name, event) => {
      const result = reduce(state, event, ctx(T0 + 10_000_000));
      expect(result.state).toBe(state);
      expect(result.notify).toEqual([]);
    });
  }
});

describe("upstream error shapes", () => {
  it.each([
    [
      "{name, message}",
      { name: "ContentPolicyError", message: "prompt rejected" },
      "ContentPolicyError: prompt rejected",
    ],
    [
      "{detail: [...]}",
      { detail: [{ loc: ["body", "prompt"], msg: "too long", type: "value_error" }] },
      "body.prompt: too long",
    ],
    ["a string", "generation failed", "generation failed"],
    ["{message}", { message: "only a message" }, "only a message"],
    ["null", null, "The upstream reported a failure without details"],
    ["a number", 42, "42"],
  ])("describes %s", (_name, error, expected) => {
    expect(describeUpstreamError(error)).toBe(expected);
  });
});
