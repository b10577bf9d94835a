/**
 * Retention and erasure in the pure lifecycle: when a generation expires
 * (`expiresAt`), that the alarm wakes for it (`nextAlarmAt`), and what marking
 * a generation for deletion does (the `erase_requested` lifecycle event). No
 * binding involved.
 */
import { describe, expect, it } from "vitest";
import { nextAlarmAt, reduce } from "../../src/generation/lifecycle.ts";
import { expiresAt, indexFingerprint, type GenerationState } from "../../src/generation/state.ts";
import { recordAttempt, redeliver, type WebhookMessage, type WebhookState } from "../../src/webhook/delivery.ts";
import { queuedState, T0 } from "./generation-state.ts";

const RETENTION_MS = 3_600_000;
const RETRY_MS = 5_000;
const SCHEDULE_MS = [1_000, 2_000];

function state(overrides: Partial<GenerationState> = {}): GenerationState {
  const base = queuedState({
    status: "completed",
    upstream: { adapter: "aimlapi", id: "up-1", status: "completed", polls: 3, lastOutcome: "completed" },
    submit: { attempts: 1, inFlight: false },
    download: { url: null, attempts: 1, lastError: null },
    video: { key: "videos/x.mp4", bytes: 10, sha256: "ab", contentType: "video/mp4" },
    nextActionAt: null,
    createdAt: T0 - 60_000,
    completedAt: T0,
    ...overrides,
  });
  return { ...base, indexed: { revision: 2, fingerprint: indexFingerprint(base) } };
}

function message(overrides: Partial<WebhookMessage> = {}): WebhookMessage {
  return {
    msgId: "msg_1",
    type: "generation.completed",
    body: "{}",
    state: "pending",
    attempts: 0,
    lastStatus: null,
    nextAttemptAt: T0,
    leaseUntil: null,
    series: 1,
    ...overrides,
  };
}

const hook = (...messages: WebhookMessage[]): WebhookState => ({
  url: "https://hooks.example/x",
  events: ["completed"],
  messages,
});

describe("expiresAt", () => {
  it("is the terminal time plus the retention when there is no webhook", () => {
    expect(expiresAt(state(), RETENTION_MS)).toBe(T0 + RETENTION_MS);
  });

  it("is null when retention is off (0)", () => {
    expect(expiresAt(state(), 0)).toBeNull();
  });

  it("is null while the generation runs", () => {
    expect(expiresAt(state({ status: "generating", completedAt: null, video: null }), RETENTION_MS)).toBeNull();
  });

  it("is null while a webhook message is pending, scheduled or in flight", () => {
    expect(expiresAt(state({ webhook: hook(message()) }), RETENTION_MS)).toBeNull();
    const inFlight = message({ attempts: 1, leaseUntil: T0 + 45_000 });
    expect(expiresAt(state({ webhook: hook(inFlight) }), RETENTION_MS)).toBeNull();
  });

  it("counts from the end of the last webhook series when that is later than the terminal state", () => {
    const delivered = message({ state: "delivered", attempts: 3, nextAttemptAt: null, endedAt: T0 + 90_000 });
    expect(expiresAt(state({ webhook: hook(delivered) }), RETENTION_MS)).toBe(T0 + 90_000 + RETENTION_MS);
  });

  it("falls back to the terminal time for a message stored before series recorded their end", () => {
    const legacy = message({ state: "failed", attempts: 9, nextAttemptAt: null });
    expect(expiresAt(state({ webhook: hook(legacy) }), RETENTION_MS)).toBe(T0 + RETENTION_MS);
  });

  it("follows the webhook bookkeeping: null until the series ends, null again during a redelivery", () => {
    let webhook = hook(message());
    webhook = recordAttempt(
      webhook,
      "msg_1",
      1,
      { kind: "response", status: 500, retryAfterMs: null },
      T0 + 10,
      SCHEDULE_MS,
    );
    expect(expiresAt(state({ webhook }), RETENTION_MS)).toBeNull();
    webhook = recordAttempt(
      webhook,
      "msg_1",
      1,
      { kind: "response", status: 200, retryAfterMs: null },
      T0 + 1_500,
      SCHEDULE_MS,
    );
    expect(expiresAt(state({ webhook }), RETENTION_MS)).toBe(T0 + 1_500 + RETENTION_MS);

    const again = redeliver(webhook, T0 + 5_000);
    if (again.kind !== "ok") throw new Error(again.kind);
    expect(expiresAt(state({ webhook: again.webhook }), RETENTION_MS)).toBeNull();
    const failed = recordAttempt(
      again.webhook,
      "msg_1",
      2,
      { kind: "response", status: 410, retryAfterMs: null },
      T0 + 6_000,
      SCHEDULE_MS,
    );
    expect(expiresAt(state({ webhook: failed }), RETENTION_MS)).toBe(T0 + 6_000 + RETENTION_MS);
  });
});

describe("nextAlarmAt with retention", () => {
  const now = T0 + 1_000;

  it("wakes when the retention runs out", () => {
    expect(nextAlarmAt(state(), now, { retryMs: RETRY_MS, retentionMs: RETENTION_MS })).toBe(T0 + RETENTION_MS);
  });

  it("sets no alarm for a finished generation when retention is off", () => {
    expect(nextAlarmAt(state(), now, { retryMs: RETRY_MS, retentionMs: 0 })).toBeNull();
  });

  it("wakes for the webhook first, and not for retention while it is pending", () => {
    const pending = message({ nextAttemptAt: now + 2_000 });
    expect(nextAlarmAt(state({ webhook: hook(pending) }), now, { retryMs: RETRY_MS, retentionMs: 1 })).toBe(
      now + 2_000,
    );
  });

  it("never asks for a time in the past: an overdue deletion is due now", () => {
    const later = T0 + RETENTION_MS + 10_000;
    expect(nextAlarmAt(state(), later, { retryMs: RETRY_MS, retentionMs: RETENTION_MS })).toBe(later);
  });

  it("only retries the erasure of a generation marked for deletion", () => {
    const marked = markForErasure(state({ status: "generating", completedAt: null }), "purged", now);
    expect(nextAlarmAt(marked, now, { retryMs: RETRY_MS, retentionMs: RETENTION_MS })).toBe(now + RETRY_MS);
  });
});

/** The state marked for deletion, as the reducer leaves it after `erase_requested`. */
function markForErasure(from: GenerationState, reason: "purged" | "expired", now: number): GenerationState {
  const { state: marked } = reduce(
    from,
    { type: "erase_requested", reason },
    {
      now,
      pollIntervalMs: 10_000,
      retentionMs: RETENTION_MS,
      webhookRetryScheduleMs: SCHEDULE_MS,
      indexRetryMs: RETRY_MS,
    },
  );
  if (marked === null) throw new Error("the generation is gone");
  return marked;
}

describe("erase_requested", () => {
  it("cancels a running generation silently, keeping only the wait for its upstream task", () => {
    const running = state({
      status: "generating",
      completedAt: null,
      video: null,
      nextActionAt: T0 + 10_000,
      metadata: { order: 1 },
      webhook: hook(message({ type: "generation.started" })),
    });
    const marked = markForErasure(running, "purged", T0 + 5);
    expect(marked).toMatchObject({
      status: "canceled",
      completedAt: T0 + 5,
      // Its upstream task still runs: it is polled, silently, until it ends.
      nextActionAt: T0 + 10_000,
      input: {},
      metadata: {},
      webhook: null,
      video: null,
      erasing: { reason: "purged", at: T0 + 5 },
    });
    expect(marked.upstream).toMatchObject({ id: "up-1", task: "running" });
  });

  it("leaves nothing due for a generation whose submission never started", () => {
    const queued = state({
      status: "queued",
      completedAt: null,
      video: null,
      upstream: { adapter: "aimlapi", id: null, status: null, polls: 0, lastOutcome: null, task: "none" },
      nextActionAt: T0 + 10_000,
    });
    expect(markForErasure(queued, "purged", T0 + 5)).toMatchObject({ nextActionAt: null, status: "canceled" });
  });

  it("keeps the terminal status and time of a finished generation", () => {
    const marked = markForErasure(state({ status: "failed", completedAt: T0 }), "expired", T0 + 9);
    expect(marked).toMatchObject({ status: "failed", completedAt: T0, erasing: { reason: "expired", at: T0 + 9 } });
  });
});
