/**
 * Webhook delivery from the generation's Durable Object to a real local
 * receiver (test/support/webhook-receiver.ts), which verifies every
 * signature with the published `standardwebhooks` package.
 * Test bindings: WEBHOOK_RETRY_SCHEDULE_SECONDS=30,30,30, WEBHOOK_TIMEOUT_SECONDS=2.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import type { LifecycleEvent } from "../../src/generation/lifecycle.ts";
import type { GenerationObject } from "../../src/generation/object.ts";
import { FOLDED_ATTEMPTS, MAX_TIMELINE_ROWS } from "../../src/generation/store.ts";
import type { Generation } from "../../src/api/schemas.ts";
import {
  call,
  create,
  editState,
  expectNativeError,
  get,
  isStatus,
  stateOf,
  stepUntil,
  stubOf,
  timeline,
  uniquePrompt,
} from "./helpers.ts";

interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  answeredStatus: number | null;
  verified?: boolean;
  verifiedWith?: string[];
}

function hookUrl(script: string): { url: string; path: string } {
  const path = `/hook/${crypto.randomUUID()}/${script}`;
  return { url: `${inject("receiverUrl")}${path}`, path };
}

async function deliveries(path: string): Promise<Delivery[]> {
  const response = await fetch(`${inject("receiverUrl")}/__deliveries?path=${encodeURIComponent(path)}`);
  return response.json<Delivery[]>();
}

async function waitForDeliveries(path: string, count: number): Promise<Delivery[]> {
  return vi.waitFor(
    async () => {
      const seen = await deliveries(path);
      if (seen.length < count) throw new Error(`${seen.length} of ${count} deliveries`);
      return seen;
    },
    { timeout: 15_000, interval: 25 },
  );
}

/** Waits until the object has recorded `attempts` attempts of its latest message. */
async function waitForAttempts(id: string, attempts: number): Promise<Generation> {
  return vi.waitFor(
    async () => {
      const generation = await get(id);
      if ((generation.webhook?.attempts ?? 0) < attempts) throw new Error(`attempts: ${generation.webhook?.attempts}`);
      return generation;
    },
    { timeout: 15_000, interval: 25 },
  );
}

/**
 * Steps the alarm until the latest message has `attempts` recorded attempts.
 * The first attempt starts with the event itself; each attempt runs beside
 * the alarm, so it is awaited before the next step.
 */
async function stepAttempts(id: string, attempts: number): Promise<Generation> {
  let generation = await waitForAttempts(id, 1);
  while ((generation.webhook?.attempts ?? 0) < attempts) {
    await runDurableObjectAlarm(stubOf(id));
    generation = await waitForAttempts(id, (generation.webhook?.attempts ?? 0) + 1);
  }
  return generation;
}

const completedGeneration = async (script: string, extra: Record<string, unknown> = {}) => {
  const hook = hookUrl(script);
  const created = await create({ prompt: uniquePrompt("steps=generating,completed"), webhook_url: hook.url, ...extra });
  await stepUntil(created.id, isStatus("completed"));
  return { id: created.id, hook };
};

describe("webhook delivery", () => {
  it("signs each client's webhooks with that client's own secret: never another's, never WEBHOOK_SECRET", async () => {
    for (const client of ["alice", "bob"] as const) {
      const hook = hookUrl("200");
      const created = await create({ prompt: uniquePrompt(), webhook_url: hook.url }, client);
      expect((await call(`/v1/generations/${created.id}`, { method: "DELETE", as: client })).status).toBe(200);
      const [delivery] = await waitForDeliveries(hook.path, 1);
      expect(delivery?.verifiedWith).toEqual([client]);
    }
  });

  it("delivers generation.completed once, signed, with the Generation as GET shows it", async () => {
    const { id, hook } = await completedGeneration("200", { metadata: { order: 42 } });
    const [delivery] = await waitForDeliveries(hook.path, 1);
    expect(delivery?.verified).toBe(true);
    expect(delivery?.headers["content-type"]).toBe("application/json");
    expect(delivery?.headers["webhook-id"]).toMatch(/^msg_/);
    expect(delivery?.headers["webhook-timestamp"]).toMatch(/^\d+$/);
    expect(delivery?.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const body = JSON.parse(delivery?.body ?? "{}") as { type: string; timestamp: string; data: Generation };
    expect(body.type).toBe("generation.completed");
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    const now = await waitForAttempts(id, 1);
    expect(body.data.status).toBe("completed");
    expect(body.data.metadata).toEqual({ order: 42 });
    expect(body.data.video?.sha256).toBe(now.video?.sha256);
    expect(body.data.video?.url).toMatch(new RegExp(`/v1/generations/${id}/video\\?expires=\\d+&signature=`));
    expect(now.webhook).toMatchObject({ state: "delivered", attempts: 1, last_status: 200, next_attempt_at: null });
    // Nothing more is sent.
    await runDurableObjectAlarm(stubOf(id));
    expect(await deliveries(hook.path)).toHaveLength(1);
  });

  it("retries after failures with the same webhook-id, and is delivered exactly once with a 2xx", async () => {
    const { id, hook } = await completedGeneration("500,503,200");
    const generation = await stepAttempts(id, 3);
    const seen = await deliveries(hook.path);
    expect(seen.map((d) => d.answeredStatus)).toEqual([500, 503, 200]);
    expect(new Set(seen.map((d) => d.headers["webhook-id"])).size).toBe(1);
    expect(seen.every((d) => d.verified === true)).toBe(true);
    expect(new Set(seen.map((d) => d.body)).size).toBe(1);
    expect(generation.webhook).toMatchObject({ state: "delivered", attempts: 3, last_status: 200 });
    const attempts = (await timeline(id)).filter((event) => event.type === "webhook.attempt");
    expect(attempts.map((event) => event.detail.status)).toEqual([500, 503, 200]);
    expect(attempts.every((event) => typeof event.detail.duration_ms === "number")).toBe(true);
  });

  it("stops at once on 410 Gone", async () => {
    const { id, hook } = await completedGeneration("410");
    const generation = await waitForAttempts(id, 1);
    expect(generation.webhook).toMatchObject({ state: "failed", attempts: 1, last_status: 410, next_attempt_at: null });
    await runDurableObjectAlarm(stubOf(id));
    expect(await deliveries(hook.path)).toHaveLength(1);
  });

  it("waits for Retry-After on a 429 when it is longer than the schedule", async () => {
    const { id } = await completedGeneration("429:120,200");
    const generation = await waitForAttempts(id, 1);
    const state = await stateOf(id);
    const message = state?.webhook?.messages.at(-1);
    expect(generation.webhook?.state).toBe("pending");
    expect(generation.webhook?.last_status).toBe(429);
    expect((message?.nextAttemptAt ?? 0) - (state?.completedAt ?? 0)).toBeGreaterThanOrEqual(120_000);
    expect((await stepAttempts(id, 2)).webhook?.state).toBe("delivered");
  });

  it("counts a receiver that does not answer within WEBHOOK_TIMEOUT_SECONDS as a failed attempt", async () => {
    const { id } = await completedGeneration("hang,200");
    const generation = await waitForAttempts(id, 1);
    expect(generation.webhook).toMatchObject({ state: "pending", last_status: null });
    const attempt = (await timeline(id)).find((event) => event.type === "webhook.attempt");
    expect(attempt?.detail.error).toMatch(/no answer within 2000 ms/);
    expect((await stepAttempts(id, 2)).webhook?.state).toBe("delivered");
  });

  it("does not follow a redirect: a 302 is a failed attempt", async () => {
    const { id, hook } = await completedGeneration("302,200");
    const generation = await waitForAttempts(id, 1);
    expect(generation.webhook).toMatchObject({ state: "pending", last_status: 302 });
    expect(await deliveries(hook.path)).toHaveLength(1);
  });

  it("ends visibly failed when the receiver is down for the whole schedule", async () => {
    const created = await create({ prompt: uniquePrompt("steps=completed"), webhook_url: "http://127.0.0.1:9/hook" });
    await stepUntil(created.id, isStatus("completed"));
    const generation = await stepAttempts(created.id, 4);
    expect(generation.webhook).toMatchObject({
      state: "failed",
      attempts: 4,
      last_status: null,
      next_attempt_at: null,
    });
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(false);
    expect((await get(created.id)).webhook?.state).toBe("failed");
  });

  it("redelivers the latest terminal event with the same webhook-id, a fresh series and a freshly signed link", async () => {
    const { id, hook } = await completedGeneration("200");
    await waitForAttempts(id, 1);
    // A second later, so a link signed now expires later than the one first sent.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const response = await call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" });
    expect(response.status).toBe(202);
    const seen = await waitForDeliveries(hook.path, 2);
    expect(seen[1]?.headers["webhook-id"]).toBe(seen[0]?.headers["webhook-id"]);
    expect(seen[1]?.verified).toBe(true);
    type Body = { type: string; timestamp: string; data: Generation };
    const [first, again] = seen.map((delivery) => JSON.parse(delivery.body) as Body);
    expect(again?.type).toBe(first?.type);
    expect(again?.timestamp).toBe(first?.timestamp);
    expect(again?.data.video?.sha256).toBe(first?.data.video?.sha256);
    const expires = (body: Body | undefined) =>
      Number(new URL(body?.data.video?.url ?? "http://x/").searchParams.get("expires"));
    expect(expires(again)).toBeGreaterThan(expires(first));
    const generation = await waitForAttempts(id, 1);
    expect(generation.webhook?.state).toBe("delivered");
  });

  it("answers 409 webhook_pending while the event is in flight or scheduled, writing nothing, then accepts", async () => {
    const { id, hook } = await completedGeneration("hang,200");
    await waitForDeliveries(hook.path, 1);
    const redeliverNow = () => call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" });
    // In flight: the receiver holds the first attempt.
    await expectNativeError(await redeliverNow(), 409, "webhook_pending");
    // Scheduled: the attempt timed out and the next waits for its turn.
    const waiting = await waitForAttempts(id, 1);
    expect(waiting.webhook).toMatchObject({ state: "pending", attempts: 1 });
    const rows = (await timeline(id)).length;
    await expectNativeError(await redeliverNow(), 409, "webhook_pending");
    expect((await timeline(id)).length).toBe(rows);
    expect((await get(id)).webhook).toEqual(waiting.webhook);
    // Ended (delivered): accepted, and sent again with the same webhook-id.
    expect((await stepAttempts(id, 2)).webhook?.state).toBe("delivered");
    const accepted = await redeliverNow();
    expect(accepted.status).toBe(202);
    const seen = await waitForDeliveries(hook.path, 3);
    expect(new Set(seen.map((d) => d.headers["webhook-id"])).size).toBe(1);
    expect((await timeline(id)).filter((event) => event.type === "webhook.redeliver")).toHaveLength(1);
    expect((await waitForAttempts(id, 1)).webhook).toMatchObject({ state: "delivered", last_status: 200 });
  });

  it("honours a redeliver while an attempt of another event is in flight", async () => {
    const hook = hookUrl("hang,200");
    const created = await create({
      prompt: uniquePrompt("steps=generating,completed"),
      webhook_url: hook.url,
      webhook_events: ["started", "completed"],
    });
    await stepUntil(created.id, isStatus("completed"));
    // `started` hangs at the receiver; `completed` is delivered.
    const [started, completed] = await waitForDeliveries(hook.path, 2);
    expect(started?.answeredStatus).toBeNull();
    expect((await waitForAttempts(created.id, 1)).webhook?.state).toBe("pending");
    const response = await call(`/v1/generations/${created.id}/webhook/redeliver`, { method: "POST" });
    expect(response.status).toBe(202);
    const seen = await waitForDeliveries(hook.path, 3);
    expect(seen[2]?.headers["webhook-id"]).toBe(completed?.headers["webhook-id"]);
    expect(seen[2]?.answeredStatus).toBe(200);
  });

  it("honours a redeliver while the tail of an earlier series is still in flight, and never counts it in", async () => {
    const { id, hook } = await completedGeneration("hang,200");
    await waitForDeliveries(hook.path, 1);
    // The first attempt hangs at the receiver. Record the series as delivered,
    // as a second attempt after a lost lease (a restarted runtime) leaves it.
    await editState(id, (state) => {
      const messages = (state.webhook?.messages ?? []).map((message) => ({
        ...message,
        state: "delivered",
        attempts: 1,
        lastStatus: 200,
        nextAttemptAt: null,
        leaseUntil: null,
      }));
      return { ...state, webhook: state.webhook && { ...state.webhook, messages } };
    });
    expect((await call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" })).status).toBe(202);
    // Sent at once, not held back by the attempt still in flight (nor left for
    // a retry 30 s later, as if the old attempt's failure were the new series').
    const seen = await waitForDeliveries(hook.path, 2);
    expect(seen[1]?.answeredStatus).toBe(200);
    // The old attempt times out later: recorded, not counted into the new series.
    const tail = await vi.waitFor(
      async () => {
        const row = (await timeline(id)).find((event) => event.type === "webhook.attempt" && event.detail.series === 1);
        if (!row) throw new Error("the first attempt has not ended yet");
        return row;
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(tail.detail).toMatchObject({ outcome: "superseded", attempt: null });
    expect((await get(id)).webhook).toMatchObject({ state: "delivered", attempts: 1, last_status: 200 });
  });

  it("refuses to redeliver before any terminal event", async () => {
    const created = await create({ prompt: uniquePrompt(), webhook_url: hookUrl("200").url });
    const response = await call(`/v1/generations/${created.id}/webhook/redeliver`, { method: "POST" });
    expect(response.status).toBe(409);
  });

  it("sends only the events asked for, started included when listed", async () => {
    const hook = hookUrl("200");
    const created = await create({
      prompt: uniquePrompt("steps=generating,completed"),
      webhook_url: hook.url,
      webhook_events: ["started", "completed"],
    });
    await stepUntil(created.id, isStatus("completed"));
    const seen = await waitForDeliveries(hook.path, 2);
    expect(seen.map((d) => (JSON.parse(d.body) as { type: string }).type).sort()).toEqual([
      "generation.completed",
      "generation.started",
    ]);
    expect(new Set(seen.map((d) => d.headers["webhook-id"])).size).toBe(2);
  });

  it("sends generation.failed and generation.canceled", async () => {
    const failedHook = hookUrl("200");
    const failed = await create({ prompt: uniquePrompt("steps=failed"), webhook_url: failedHook.url });
    await stepUntil(failed.id, isStatus("failed"));
    const canceledHook = hookUrl("200");
    const canceled = await create({ prompt: uniquePrompt(), webhook_url: canceledHook.url });
    await call(`/v1/generations/${canceled.id}`, { method: "DELETE" });
    await runDurableObjectAlarm(stubOf(canceled.id));
    const [f] = await waitForDeliveries(failedHook.path, 1);
    const [c] = await waitForDeliveries(canceledHook.path, 1);
    expect((JSON.parse(f?.body ?? "{}") as { type: string; data: Generation }).data.error?.code).toBe("upstream_error");
    expect((JSON.parse(c?.body ?? "{}") as { type: string }).type).toBe("generation.canceled");
  });

  it("never delays polling: a hanging receiver for 'started' does not hold the generation back", async () => {
    const hook = hookUrl("hang,200");
    const created = await create({
      prompt: uniquePrompt("steps=generating,generating,completed"),
      webhook_url: hook.url,
      webhook_events: ["started"],
    });
    const state = await stepUntil(created.id, isStatus("completed"));
    expect(state.status).toBe("completed");
    // The started delivery may still be hanging: the generation did not wait for it.
    await waitForAttempts(created.id, 1);
  });
});

describe("redelivery bounds", () => {
  /** As if the last redelivery had been asked for long ago, `count` redeliveries in all. */
  async function redeliveredBefore(id: string, count: number): Promise<void> {
    await editState(id, (state) => {
      if (state.webhook === null) throw new Error("no webhook");
      return { ...state, webhook: { ...state.webhook, redeliveries: { count, lastAt: 0 } } };
    });
  }

  it("answers 429 with Retry-After to a second redelivery within a minute, sending nothing", async () => {
    const { id, hook } = await completedGeneration("200,200,200");
    await waitForAttempts(id, 1);
    expect((await call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" })).status).toBe(202);
    await waitForDeliveries(hook.path, 2);
    await vi.waitFor(async () => {
      if ((await get(id)).webhook?.state !== "delivered") throw new Error("still pending");
    });
    const rows = (await timeline(id)).length;
    const again = await call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" });
    await expectNativeError(again, 429, "rate_limited");
    const retryAfter = Number(again.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await deliveries(hook.path)).toHaveLength(2);
    expect((await timeline(id)).length).toBe(rows);
  });

  it("answers 409 redeliver_limit after ten redeliveries", async () => {
    const { id, hook } = await completedGeneration("200,200");
    await waitForAttempts(id, 1);
    await redeliveredBefore(id, 9);
    expect((await call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" })).status).toBe(202);
    await waitForDeliveries(hook.path, 2);
    await vi.waitFor(async () => {
      if ((await get(id)).webhook?.state !== "delivered") throw new Error("still pending");
    });
    await redeliveredBefore(id, 10);
    await expectNativeError(
      await call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST" }),
      409,
      "redeliver_limit",
    );
    expect(await deliveries(hook.path)).toHaveLength(2);
  });
});

describe("the timeline's bound", () => {
  it(`keeps at most ${MAX_TIMELINE_ROWS} rows, folding the oldest webhook attempts into one row that counts them`, async () => {
    const { id } = await completedGeneration("200");
    await waitForAttempts(id, 1);
    const attempts = MAX_TIMELINE_ROWS + 150;
    // Attempts of a series that has ended are recorded (not counted): as many as a misbehaving receiver could cause.
    await runInDurableObject(stubOf(id), (instance: GenerationObject) => {
      const apply = (instance as unknown as { apply(event: LifecycleEvent): unknown }).apply.bind(instance);
      for (let i = 0; i < attempts; i++) {
        const result = { kind: "response", status: 500 + (i % 3), retryAfterMs: null } as const;
        apply({ type: "webhook_attempted", msgId: "msg_gone", series: 99, result, startedAt: Date.now() });
      }
    });
    const rows: { type: string; detail: Record<string, unknown> }[] = [];
    for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
      const page: Response = await call(`/v1/generations/${id}/events?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      const body = await page.json<{ data: typeof rows; next_cursor: string | null }>();
      rows.push(...body.data);
      cursor = body.next_cursor;
    }
    expect(rows.length).toBeLessThanOrEqual(MAX_TIMELINE_ROWS);
    expect(rows[0]?.type).toBe("generation.created");
    const folded = rows.filter((row) => row.type === FOLDED_ATTEMPTS);
    expect(folded).toHaveLength(1);
    const kept = rows.filter((row) => row.type === "webhook.attempt").length;
    // Every attempt is either kept or counted in the fold, and the fold keeps the last folded one's status.
    expect(Number(folded[0]?.detail.count) + kept).toBe(attempts + 1);
    expect([500, 501, 502]).toContain(folded[0]?.detail.last_status);
    expect(rows.some((row) => row.type === "storage.stored")).toBe(true);
  });
});
