/**
 * Retention (RETENTION_SECONDS, 60 in this project) inside workerd, alarms
 * stepped by hand: a finished generation is deleted by its alarm once the
 * retention has run out after its terminal state and after its webhook
 * series ended, never while a webhook of it is pending; afterwards nothing of
 * it is left in R2, in its client's index or in its Durable Object.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import type { GenerationObject } from "../../../src/generation/object.ts";
import type { Generation } from "../../../src/api/schemas.ts";
import { expectGone, indexRowOf } from "../erasure.ts";
import {
  editState,
  alarmOf,
  call,
  create,
  get,
  isStatus,
  rememberAlarmAt,
  stepUntil,
  stubOf,
  uniquePrompt,
  waitForSubmission,
} from "../helpers.ts";

const RETENTION_MS = 60_000;

const ms = (iso: string | null | undefined): number => {
  if (typeof iso !== "string") throw new Error(`not a time: ${String(iso)}`);
  return Date.parse(iso);
};

function hookUrl(script: string): { url: string; path: string } {
  const path = `/hook/${crypto.randomUUID()}/${script}`;
  return { url: `${inject("receiverUrl")}${path}`, path };
}

async function deliveryCount(path: string): Promise<number> {
  const response = await fetch(`${inject("receiverUrl")}/__deliveries?path=${encodeURIComponent(path)}`);
  return (await response.json<unknown[]>()).length;
}

/** Waits until the latest webhook message has `attempts` recorded attempts (they run beside the alarm). */
function waitForAttempts(id: string, attempts: number): Promise<Generation> {
  return vi.waitFor(
    async () => {
      const generation = await get(id);
      if ((generation.webhook?.attempts ?? 0) < attempts) throw new Error(`attempts: ${generation.webhook?.attempts}`);
      return generation;
    },
    { timeout: 15_000, interval: 25 },
  );
}

/** Makes the next alarm run as if it had been set for `at` (the alarm does the work due by then). */
async function alarmSetFor(id: string, at: number): Promise<void> {
  await runInDurableObject(stubOf(id), async (instance: GenerationObject, ctx) => {
    rememberAlarmAt(instance, at);
    await ctx.storage.setAlarm(at);
  });
}

describe("retention", () => {
  it("deletes a completed generation when its retention runs out: video, index row and object storage", async () => {
    const created = await create({ prompt: uniquePrompt("size=4096") });
    expect(created.expires_at).toBeNull();
    await stepUntil(created.id, isStatus("completed"));
    const done = await get(created.id);
    expect(ms(done.expires_at)).toBe(ms(done.completed_at) + RETENTION_MS);
    // The alarm is set for it.
    expect(await alarmOf(created.id)).toBe(ms(done.expires_at));
    expect(await indexRowOf(created.id)).toEqual({ status: "completed" });

    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(true);
    await expectGone(created.id, { signedVideoUrl: done.video?.url ?? null });
  });

  it("deletes a canceled generation without a webhook the same way", async () => {
    // Its submission was answered 503 (not taken): no upstream task to wait for after the cancel.
    const created = await create({ prompt: uniquePrompt("submit=503:60 steps=generating") });
    await waitForSubmission(created.id);
    const canceled = await call(`/v1/generations/${created.id}`, { method: "DELETE" });
    const generation = await canceled.json<Generation>();
    expect(ms(generation.expires_at)).toBe(ms(generation.completed_at) + RETENTION_MS);
    expect(await alarmOf(created.id)).toBe(ms(generation.expires_at));
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(true);
    await expectGone(created.id, { signedVideoUrl: null });
  });

  it("keeps a generation while its webhook is retrying, then deletes it RETENTION_SECONDS after the series ended", async () => {
    const hook = hookUrl("500,500,200");
    const created = await create({ prompt: uniquePrompt("steps=generating,completed"), webhook_url: hook.url });
    await stepUntil(created.id, isStatus("completed"));

    // First attempt (500): pending, so no expiry, and the alarm is for the next attempt.
    let generation = await waitForAttempts(created.id, 1);
    expect(generation.webhook?.state).toBe("pending");
    expect(generation.expires_at).toBeNull();
    expect(await alarmOf(created.id)).toBe(ms(generation.webhook?.next_attempt_at));
    const completedAt = ms(generation.completed_at);

    // Second attempt (500), by an alarm run as late as the retention would
    // have run out counted from the terminal state: still kept.
    await alarmSetFor(created.id, completedAt + RETENTION_MS + 1_000);
    await runDurableObjectAlarm(stubOf(created.id));
    generation = await waitForAttempts(created.id, 2);
    expect(generation.webhook?.state).toBe("pending");
    expect(generation.expires_at).toBeNull();
    expect(await indexRowOf(created.id)).toEqual({ status: "completed" });

    // Third attempt (200): the series ends; retention counts from here.
    await runDurableObjectAlarm(stubOf(created.id));
    generation = await waitForAttempts(created.id, 3);
    expect(generation.webhook?.state).toBe("delivered");
    const expiresAt = ms(generation.expires_at);
    expect(expiresAt).toBeGreaterThan(completedAt + RETENTION_MS);
    expect(await alarmOf(created.id)).toBe(expiresAt);
    expect(await deliveryCount(hook.path)).toBe(3);

    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(true);
    await expectGone(created.id, { signedVideoUrl: generation.video?.url ?? null });
    // A redelivery asked for afterwards is refused like any other request for the id.
    expect((await call(`/v1/generations/${created.id}/webhook/redeliver`, { method: "POST" })).status).toBe(404);
    expect(await deliveryCount(hook.path)).toBe(3);
  });

  it("puts the expiry off while a redelivery's series runs, by one retry series at most", async () => {
    const hook = hookUrl("200");
    // Its submission was answered 503 (not taken): no upstream task to wait for after the cancel.
    const created = await create({ prompt: uniquePrompt("submit=503:60"), webhook_url: hook.url });
    await waitForSubmission(created.id);
    expect((await call(`/v1/generations/${created.id}`, { method: "DELETE" })).status).toBe(200);
    const first = await delivered(created.id);
    const firstExpiry = ms(first.expires_at);

    const redelivered = await call(`/v1/generations/${created.id}/webhook/redeliver`, { method: "POST" });
    expect(redelivered.status).toBe(202);
    const during = await redelivered.json<Generation>();
    // While it runs: at the latest one retry series (3 × 30 s and 4 × 2 s timeouts here) later.
    expect(ms(during.expires_at)).toBe(firstExpiry + SERIES_SPAN_MS);
    const after = await delivered(created.id);
    expect(ms(after.expires_at)).toBeGreaterThanOrEqual(firstExpiry);
    expect(ms(after.expires_at)).toBeLessThanOrEqual(firstExpiry + SERIES_SPAN_MS);
    expect(await alarmOf(created.id)).toBe(ms(after.expires_at));
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(true);
    await expectGone(created.id, { signedVideoUrl: null });
  });

  it("deletes the generation on time while its client keeps redelivering", async () => {
    // Three redeliveries are answered; the fourth hangs at the receiver, in flight.
    const hook = hookUrl("200,200,200,200,hang");
    const created = await create({ prompt: uniquePrompt("submit=503:60"), webhook_url: hook.url });
    await waitForSubmission(created.id);
    expect((await call(`/v1/generations/${created.id}`, { method: "DELETE" })).status).toBe(200);
    const latest = ms((await delivered(created.id)).expires_at) + SERIES_SPAN_MS;
    for (let i = 0; i < 4; i++) {
      await allowRedeliveryNow(created.id);
      const response = await call(`/v1/generations/${created.id}/webhook/redeliver`, { method: "POST" });
      expect(response.status).toBe(202);
      if (i < 3) expect(ms((await delivered(created.id)).expires_at)).toBeLessThanOrEqual(latest);
    }
    // The last series is still in flight: the deletion is due anyway, at the latest time.
    expect(ms((await get(created.id)).expires_at)).toBe(latest);
    await alarmSetFor(created.id, latest);
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(true);
    await expectGone(created.id, { signedVideoUrl: null });
  });
});

/** How long one webhook retry series can last in this project: the schedule (3 × 30 s) and 4 attempts' 2 s timeouts. */
const SERIES_SPAN_MS = 3 * 30_000 + 4 * 2_000;

/** Waits until the webhook's latest series has ended delivered. */
function delivered(id: string): Promise<Generation> {
  return vi.waitFor(
    async () => {
      const generation = await get(id);
      if (generation.webhook?.state !== "delivered") throw new Error(`webhook ${generation.webhook?.state}`);
      return generation;
    },
    { timeout: 15_000, interval: 25 },
  );
}

/** As if the last redelivery had been asked for long ago (a redelivery may come once a minute). */
async function allowRedeliveryNow(id: string): Promise<void> {
  await editState(id, (state) => {
    const redeliveries = state.webhook?.redeliveries;
    if (state.webhook === null || redeliveries === undefined) return state;
    return { ...state, webhook: { ...state.webhook, redeliveries: { ...redeliveries, lastAt: 0 } } };
  });
}
