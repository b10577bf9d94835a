/**
 * `DELETE /v1/generations/{id}?purge=true` (docs/api.md#native-api): a generation
 * deleted for good, whatever its state, leaves nothing in R2, in its client's
 * index or in its Durable Object, and every route answers 404 for it.
 *
 * This project runs with RETENTION_SECONDS unset (0): nothing here expires
 * by itself, and `expires_at` stays null.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { ClientIndexObject } from "../../src/client-index/object.ts";
import type { Generation } from "../../src/api/schemas.ts";
import { base64 } from "../../src/lib/encoding.ts";
import { inputKey, inputsPrefix } from "../../src/models/inline-media.ts";
import { expectGone, expectGoneButTaskAccounted, indexRowOf, storageOf } from "./erasure.ts";
import { activeCountOf } from "./index-helpers.ts";
import {
  alarmOf,
  call,
  create,
  expectNativeError,
  get,
  isStatus,
  stepUntil,
  stubOf,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
} from "./helpers.ts";

/** An image-to-video model: its `image_url` may be a data: URI. */
const I2V = "alibaba/wan2.5-i2v-preview";

const purge = (id: string, as: "alice" | "bob" = "alice") =>
  call(`/v1/generations/${id}?purge=true`, { method: "DELETE", as });

async function expectPurged(id: string): Promise<void> {
  const response = await purge(id);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(await response.json()).toEqual({ id, purged: true });
}

async function receiverDeliveries(path: string): Promise<unknown[]> {
  const response = await fetch(`${inject("receiverUrl")}/__deliveries?path=${encodeURIComponent(path)}`);
  return response.json<unknown[]>();
}

describe("purge", () => {
  it("deletes a completed generation: its video, its index row and its object's storage", async () => {
    const created = await create({ prompt: uniquePrompt("size=4096") });
    await stepUntil(created.id, isStatus("completed"));
    const done = await get(created.id);
    // Retention is off in this project: nothing will delete it by itself.
    expect(done.expires_at).toBeNull();
    expect(await alarmOf(created.id)).toBeNull();
    expect(await env.VIDEOS.head(`videos/${created.id}.mp4`)).not.toBeNull();
    expect(await indexRowOf(created.id)).toEqual({ status: "completed" });

    await expectPurged(created.id);
    await expectGone(created.id, { signedVideoUrl: done.video?.url ?? null });
  });

  it("cancels a running generation first, without a webhook, and only polls its upstream task, silently, until it ends", async () => {
    const prompt = uniquePrompt("steps=generating,generating,generating,completed");
    const hook = `/hook/${crypto.randomUUID()}/200`;
    const created = await create({
      prompt,
      metadata: { order: 42 },
      webhook_url: `${inject("receiverUrl")}${hook}`,
      webhook_events: ["canceled", "failed", "completed"],
    });
    await stepUntil(created.id, (state) => state.status === "generating" && state.upstream.polls === 2);
    expect(await indexRowOf(created.id)).toEqual({ status: "generating" });
    const active = await activeCountOf(env.CLIENT_INDEX.getByName("alice"));

    await expectPurged(created.id);
    // Gone for its client at once; its paid upstream task still holds the client's slot.
    await expectGoneButTaskAccounted(created.id, { signedVideoUrl: null });
    expect(await activeCountOf(env.CLIENT_INDEX.getByName("alice"))).toBe(active);
    // The task is polled until it ends (the fake's fourth status), never copied, never announced.
    await runDurableObjectAlarm(stubOf(created.id));
    await runDurableObjectAlarm(stubOf(created.id));
    const stats = await upstreamStats({ prompt });
    expect(stats.polls).toBe(4);
    expect(stats.downloads).toBe(0);
    expect(await receiverDeliveries(hook)).toEqual([]);
    expect(await activeCountOf(env.CLIENT_INDEX.getByName("alice"))).toBe(active - 1);
    await expectGone(created.id, { signedVideoUrl: null });
    // Nothing is left to wake for.
    expect(await runDurableObjectAlarm(stubOf(created.id))).toBe(false);
    expect((await upstreamStats({ prompt })).polls).toBe(4);
  });

  it("keeps a purge that arrives while the alarm awaits a poll: the poll's answer changes nothing", async () => {
    const prompt = uniquePrompt("slow=400 steps=generating,completed");
    const created = await create({ prompt });
    await stepUntil(created.id, (state) => state.upstream.polls === 1);
    // The input gate opens while the alarm awaits the slow poll: purge then.
    const alarm = runDurableObjectAlarm(stubOf(created.id));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expectPurged(created.id);
    await alarm;
    expect((await upstreamStats({ prompt })).downloads).toBe(0);
    await expectGone(created.id, { signedVideoUrl: null });
  });

  it("deletes the data: inputs it stored under inputs/<id>/, and nothing of another generation", async () => {
    // A data: URI in a media field is kept in R2 by the create route (models/inline-media.ts).
    const image = `data:image/png;base64,${base64(crypto.getRandomValues(new Uint8Array(2048)))}`;
    const body = (prompt: string) => ({ model: I2V, prompt, image_url: image });
    const created = await create(body(uniquePrompt("steps=generating")));
    const other = await create(body(uniquePrompt("steps=generating")));
    await waitForSubmission(created.id);
    const stored = async (id: string) =>
      (await env.VIDEOS.list({ prefix: inputsPrefix(id) })).objects.map((object) => object.key);
    expect(await stored(created.id)).toEqual([inputKey(created.id, ["image_url"])]);

    await expectPurged(created.id);
    await expectGoneButTaskAccounted(created.id, { signedVideoUrl: null });
    expect(await stored(other.id)).toEqual([inputKey(other.id, ["image_url"])]);
    expect((await get(other.id)).status).not.toBe("canceled");
    await expectPurged(other.id);
    expect(await stored(other.id)).toEqual([]);
  });

  it("answers 404 to another client, and leaves the generation as it was", async () => {
    const created = await create({ prompt: uniquePrompt("steps=generating") });
    await waitForSubmission(created.id);
    await expectNativeError(await purge(created.id, "bob"), 404, "not_found");
    expect((await get(created.id)).status).toBe("queued");
    await expectPurged(created.id);
  });

  it("refuses a purge value other than true or false, naming purge", async () => {
    const created = await create({ prompt: uniquePrompt("steps=generating") });
    const error = await expectNativeError(
      await call(`/v1/generations/${created.id}?purge=yes`, { method: "DELETE" }),
      400,
      "invalid_request",
    );
    expect(error.details?.[0]?.field).toBe("purge");
    // purge=false is a plain cancel.
    const canceled = await call(`/v1/generations/${created.id}?purge=false`, { method: "DELETE" });
    expect(canceled.status).toBe(200);
    expect((await canceled.json<Generation>()).status).toBe("canceled");
    await expectPurged(created.id);
  });
});

describe("the index after a purge", () => {
  it("does not let a late update or a reconcile bring the row back", async () => {
    // Its upstream task answers "completed" at the first poll: nothing runs on after the purge.
    const created = await create({ prompt: uniquePrompt("steps=completed") });
    await waitForSubmission(created.id);
    const index = env.CLIENT_INDEX.getByName("alice");
    const summary = (await index.listSummaries({ limit: 100, cursor: null, status: null })).data.find(
      (row) => row.id === created.id,
    );
    if (!summary) throw new Error("not listed before the purge");
    await expectPurged(created.id);
    await runDurableObjectAlarm(stubOf(created.id));

    // An update that was on its way when the generation went, with any version.
    await index.record({
      id: created.id,
      version: 1_000,
      summary: { ...summary, status: "completed" },
      holdsSlot: false,
    });
    expect(await indexRowOf(created.id)).toBeNull();
    // The reconcile only visits rows it has; the generation's object answers as never started.
    await runDurableObjectAlarm(index);
    expect(await indexRowOf(created.id)).toBeNull();
    expect(await stubOf(created.id).probe()).toBeNull();
    expect(await storageOf(created.id)).toMatchObject({ tables: [], alarm: null });
  });

  it("forgets the tombstone of a purged id once it is a day old", async () => {
    const created = await create({ prompt: uniquePrompt("steps=generating") });
    await waitForSubmission(created.id);
    await expectPurged(created.id);
    const index = env.CLIENT_INDEX.getByName("alice");
    const tombstone = () =>
      runInDurableObject(index, (_instance: ClientIndexObject, ctx) =>
        ctx.storage.sql.exec(`SELECT until_ms FROM forgotten WHERE id = ?`, created.id).toArray(),
      );
    expect(await tombstone()).toHaveLength(1);
    await runInDurableObject(index, (_instance: ClientIndexObject, ctx) => {
      ctx.storage.sql.exec(`UPDATE forgotten SET until_ms = ? WHERE id = ?`, Date.now() - 1, created.id);
    });
    await runDurableObjectAlarm(index);
    expect(await tombstone()).toEqual([]);
  });
});
