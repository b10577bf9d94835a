/**
 * Webhook retry bookkeeping, pure (src/webhook/delivery.ts).
 */
import { describe, expect, it } from "vitest";
import {
  dueMessages,
  enqueue,
  lease,
  nextDeliveryAt,
  recordAttempt,
  redeliver,
  summarize,
  type WebhookState,
} from "../../src/webhook/delivery.ts";

const SCHEDULE_MS = [5_000, 300_000, 1_800_000];
const T0 = 1_000_000;
const empty: WebhookState = {
  url: "https://hooks.example/x",
  events: ["completed", "failed", "canceled"],
  messages: [],
};
const withMessage = (type: "generation.completed" | "generation.started" = "generation.completed") =>
  enqueue(empty, { msgId: "msg_1", type, body: "{}" }, T0);
const response = (status: number, retryAfterMs: number | null = null) => ({
  kind: "response" as const,
  status,
  retryAfterMs,
});

describe("webhook delivery bookkeeping", () => {
  it("makes a new message due at once", () => {
    const webhook = withMessage();
    expect(nextDeliveryAt(webhook)).toBe(T0);
    expect(dueMessages(webhook, T0).map((m) => m.msgId)).toEqual(["msg_1"]);
    expect(summarize(webhook)).toMatchObject({ state: "pending", attempts: 0, last_status: null });
  });

  it("is delivered on a 2xx and schedules nothing more", () => {
    const webhook = recordAttempt(withMessage(), "msg_1", 1, response(204), T0, SCHEDULE_MS);
    expect(summarize(webhook)).toMatchObject({
      state: "delivered",
      attempts: 1,
      last_status: 204,
      next_attempt_at: null,
    });
    expect(nextDeliveryAt(webhook)).toBeNull();
  });

  it("follows the retry schedule after failures, then fails when it is used up", () => {
    let webhook = withMessage();
    const delays: number[] = [];
    let now = T0;
    for (let i = 0; i < 3; i++) {
      webhook = recordAttempt(webhook, "msg_1", 1, response(500), now, SCHEDULE_MS);
      const next = nextDeliveryAt(webhook) ?? 0;
      delays.push(next - now);
      now = next;
    }
    expect(delays).toEqual(SCHEDULE_MS);
    webhook = recordAttempt(webhook, "msg_1", 1, { kind: "error", reason: "down" }, now, SCHEDULE_MS);
    expect(summarize(webhook)).toMatchObject({
      state: "failed",
      attempts: 4,
      last_status: null,
      next_attempt_at: null,
    });
  });

  it("stops at once on 410", () => {
    const webhook = recordAttempt(withMessage(), "msg_1", 1, response(410), T0, SCHEDULE_MS);
    expect(summarize(webhook)).toMatchObject({ state: "failed", attempts: 1, last_status: 410 });
  });

  it.each([429, 503])("honours a longer Retry-After on %i", (status) => {
    const webhook = recordAttempt(withMessage(), "msg_1", 1, response(status, 60_000), T0, SCHEDULE_MS);
    expect(nextDeliveryAt(webhook)).toBe(T0 + 60_000);
  });

  it("keeps the schedule when Retry-After is shorter, or comes with another status", () => {
    expect(nextDeliveryAt(recordAttempt(withMessage(), "msg_1", 1, response(429, 1_000), T0, SCHEDULE_MS))).toBe(
      T0 + 5_000,
    );
    expect(nextDeliveryAt(recordAttempt(withMessage(), "msg_1", 1, response(500, 60_000), T0, SCHEDULE_MS))).toBe(
      T0 + 5_000,
    );
  });

  it("treats a 3xx as a failure", () => {
    const webhook = recordAttempt(withMessage(), "msg_1", 1, response(302), T0, SCHEDULE_MS);
    expect(summarize(webhook)).toMatchObject({ state: "pending", last_status: 302 });
  });

  it("holds a message under lease until the lease ends", () => {
    const webhook = lease(withMessage(), "msg_1", T0 + 45_000);
    expect(dueMessages(webhook, T0 + 1_000)).toEqual([]);
    expect(nextDeliveryAt(webhook)).toBe(T0 + 45_000);
    expect(dueMessages(webhook, T0 + 45_000)).toHaveLength(1);
  });

  it("redelivers the latest terminal event with the same id and a fresh series", () => {
    let webhook = withMessage();
    for (let i = 0; i < 4; i++) webhook = recordAttempt(webhook, "msg_1", 1, response(500), T0, SCHEDULE_MS);
    expect(summarize(webhook)?.state).toBe("failed");
    const again = redeliver(webhook, T0 + 10);
    if (again.kind !== "ok") throw new Error(again.kind);
    expect(again.webhook.messages[0]).toMatchObject({
      msgId: "msg_1",
      state: "pending",
      attempts: 0,
      nextAttemptAt: T0 + 10,
      series: 2,
    });
  });

  it("refuses to redeliver while the event's series is still pending", () => {
    const scheduled = recordAttempt(withMessage(), "msg_1", 1, response(500), T0, SCHEDULE_MS);
    expect(redeliver(scheduled, T0 + 1)).toEqual({ kind: "pending" });
    const inFlight = lease(withMessage(), "msg_1", T0 + 45_000);
    expect(redeliver(inFlight, T0 + 1)).toEqual({ kind: "pending" });
    const delivered = recordAttempt(scheduled, "msg_1", 1, response(200), T0 + 5_000, SCHEDULE_MS);
    expect(redeliver(delivered, T0 + 6_000).kind).toBe("ok");
  });

  it("never counts the late result of an earlier series into the redelivery's series", () => {
    const delivered = recordAttempt(withMessage(), "msg_1", 1, response(200), T0, SCHEDULE_MS);
    const again = redeliver(delivered, T0 + 10);
    if (again.kind !== "ok") throw new Error(again.kind);
    // A series-1 attempt (say, a duplicate after a lost lease) answers only now.
    const late = recordAttempt(again.webhook, "msg_1", 1, response(500), T0 + 20, SCHEDULE_MS);
    expect(late).toBe(again.webhook);
    expect(summarize(late)).toMatchObject({ state: "pending", attempts: 0, last_status: null });
    const current = recordAttempt(late, "msg_1", 2, response(204), T0 + 30, SCHEDULE_MS);
    expect(summarize(current)).toMatchObject({ state: "delivered", attempts: 1, last_status: 204 });
  });

  it("reads a message stored before series existed as series 1", () => {
    const message = withMessage().messages[0];
    if (!message) throw new Error("no message");
    const { series: _series, ...legacy } = message;
    const webhook: WebhookState = { ...empty, messages: [legacy] };
    expect(summarize(recordAttempt(webhook, "msg_1", 1, response(200), T0, SCHEDULE_MS))?.state).toBe("delivered");
  });

  it("has nothing to redeliver before a terminal event", () => {
    expect(redeliver(withMessage("generation.started"), T0)).toEqual({ kind: "nothing_to_send" });
    expect(redeliver(empty, T0)).toEqual({ kind: "nothing_to_send" });
  });

  it("summarises no webhook as null and no message yet as none", () => {
    expect(summarize(null)).toBeNull();
    expect(summarize(empty)).toMatchObject({ state: "none", attempts: 0 });
  });
});
