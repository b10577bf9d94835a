/**
 * Races that would cost money, stepped deterministically in workerd (no
 * sleeps): a cancel or a purge that lands while a submission is being
 * prepared never lets it leave; an idempotent replay never brings a purged
 * generation back; the `data:` inputs of a create that died before its
 * generation started are deleted when its reservation expires.
 *
 * The input read is held at a gate: the generation's object reads its
 * `data:` inputs from its bucket, which the test wraps (in the object's
 * instance, before the generation exists) so that the read waits until the
 * test opens the gate.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { utcMonth } from "../../src/lib/months.ts";
import { describe, expect, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { NEVER_STARTED_AFTER_MS } from "../../src/client-index/reconcile.ts";
import type { GenerationObject, StartParams } from "../../src/generation/object.ts";
import { keyring } from "../../src/keyring/keyring.ts";
import { newGenerationId } from "../../src/lib/ids.ts";
import { findModel } from "../../src/models/catalogue.ts";
import { inputsPrefix, prepareInlineMedia, storeInlineMedia } from "../../src/models/inline-media.ts";
import { PNG_DATA_URI } from "../support/model-corpus.ts";
import { expectGone, expectGoneButTaskAccounted } from "./erasure.ts";
import {
  call,
  expectNativeError,
  postJson,
  stateOf,
  stubOf,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
} from "./helpers.ts";

/** An image-to-video model: its `image_url` may be a data: URI, which is kept in R2. */
const I2V = "alibaba/wan2.5-i2v-preview";

interface Gate {
  /** Resolves once the held operation has started. */
  reached: Promise<void>;
  open(): void;
}

/**
 * Makes the generation object of `id` (created in memory, no storage yet)
 * hold every `get` of its bucket until the gate opens.
 */
async function holdInputReads(id: string): Promise<Gate> {
  let reached!: () => void;
  let open!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  await runInDurableObject(stubOf(id), (instance: GenerationObject) => {
    const target = instance as unknown as { videos: R2Bucket };
    const real = target.videos;
    target.videos = new Proxy(real, {
      get(bucket, property) {
        const value: unknown = Reflect.get(bucket, property);
        if (property !== "get" || typeof value !== "function") {
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(bucket) : value;
        }
        return async (...args: Parameters<R2Bucket["get"]>) => {
          reached();
          await opened;
          return bucket.get(...args);
        };
      },
    });
  });
  return { reached: reachedPromise, open };
}

/** Waits until every alarm run the object has started is over. */
function alarmsDone(id: string): Promise<void> {
  return runInDurableObject(
    stubOf(id),
    (instance: GenerationObject) => (instance as unknown as { alarms: Promise<void> }).alarms,
  );
}

/** A generation of the i2v model with a data: URI input, started on its object as the create route would. */
async function startWithInlineImage(prompt: string): Promise<{ id: string; params: StartParams }> {
  const id = await newGenerationId((await keyring(env)).idKey);
  const model = findModel(I2V);
  if (model === undefined) throw new Error(`${I2V} is not in the catalogue`);
  const { echo, media } = await prepareInlineMedia(model, { prompt, image_url: PNG_DATA_URI });
  const gate = await holdInputReads(id);
  const params: StartParams = {
    id,
    clientId: "alice",
    model: I2V,
    input: echo as StartParams["input"],
    inlineMedia: await storeInlineMedia(env.VIDEOS, id, media),
    webhook: null,
    metadata: {},
    requestOrigin: "https://relay.example",
  };
  const started = await stubOf(id).start(params);
  expect(started.kind).toBe("ok");
  // The first alarm is due at once: it runs by itself and stops at the gate, reading the input.
  await gate.reached;
  races.set(id, gate);
  return { id, params };
}
const races = new Map<string, Gate>();

describe("a submission being prepared", () => {
  it("sends nothing upstream when a cancel lands while its inputs are read from R2", async () => {
    const prompt = uniquePrompt();
    const { id } = await startWithInlineImage(prompt);
    const canceled = await call(`/v1/generations/${id}`, { method: "DELETE" });
    expect(canceled.status).toBe(200);
    expect((await canceled.json<Generation>()).status).toBe("canceled");
    races.get(id)?.open();
    await alarmsDone(id);
    expect((await upstreamStats({ prompt })).submits).toBe(0);
    const state = await stateOf(id);
    expect(state).toMatchObject({ status: "canceled", submit: { attempts: 0, inFlight: false } });
    expect(state?.upstream.id).toBeNull();
  });

  it("sends nothing upstream when a purge lands while its inputs are read from R2", async () => {
    const prompt = uniquePrompt();
    const { id } = await startWithInlineImage(prompt);
    const purged = await call(`/v1/generations/${id}?purge=true`, { method: "DELETE" });
    expect(purged.status).toBe(200);
    races.get(id)?.open();
    await alarmsDone(id);
    expect((await upstreamStats({ prompt })).submits).toBe(0);
    await expectGone(id, { signedVideoUrl: null });
  });

  it("sends no second submission when a cancel lands during the back-off after a 429", async () => {
    const prompt = uniquePrompt("submit=429:1");
    const created = await postJson("/v1/generations", { prompt });
    expect(created.status).toBe(202);
    const { id } = await created.json<Generation>();
    await waitForSubmission(id);
    expect((await upstreamStats({ prompt })).submits).toBe(1);
    expect((await stateOf(id))?.status).toBe("queued");
    expect((await call(`/v1/generations/${id}`, { method: "DELETE" })).status).toBe(200);
    // Whatever alarm is left (the retry was due later), stepping it sends nothing.
    await runDurableObjectAlarm(stubOf(id));
    await alarmsDone(id);
    expect((await upstreamStats({ prompt })).submits).toBe(1);
  });
});

describe("an idempotent replay after a purge", () => {
  it("answers 409 idempotency_key_gone, submits nothing, and the purged id stays 404", async () => {
    const prompt = uniquePrompt("steps=generating");
    const key = crypto.randomUUID();
    const first = await postJson("/v1/generations", { prompt }, { headers: { "Idempotency-Key": key } });
    const { id } = await first.json<Generation>();
    await waitForSubmission(id);
    expect((await call(`/v1/generations/${id}?purge=true`, { method: "DELETE" })).status).toBe(200);

    const again = await postJson("/v1/generations", { prompt }, { headers: { "Idempotency-Key": key } });
    await expectNativeError(again, 409, "idempotency_key_gone");
    expect((await upstreamStats({ prompt })).submits).toBe(1);
    // Its upstream task still runs: only its accounting is kept, until it ends.
    await expectGoneButTaskAccounted(id, { signedVideoUrl: null });
  });

  it("never recreates the purged generation when the replay's start reaches its object after the purge", async () => {
    const prompt = uniquePrompt("steps=generating");
    const key = crypto.randomUUID();
    const first = await postJson("/v1/generations", { prompt }, { headers: { "Idempotency-Key": key } });
    const generation = await first.json<Generation>();
    await waitForSubmission(generation.id);
    expect((await call(`/v1/generations/${generation.id}?purge=true`, { method: "DELETE" })).status).toBe(200);

    // The replay's reserve answered "existing" just before the purge; its start() arrives after it.
    const replayed = await stubOf(generation.id).start(
      {
        id: generation.id,
        clientId: "alice",
        model: generation.model,
        input: generation.input,
        inlineMedia: [],
        webhook: null,
        metadata: {},
        requestOrigin: "https://relay.example",
      },
      { replay: true },
    );
    expect(replayed).toEqual({ kind: "gone" });
    expect((await upstreamStats({ prompt })).submits).toBe(1);
    await expectGoneButTaskAccounted(generation.id, { signedVideoUrl: null });
  });
});

describe("a create that died before its generation started", () => {
  it("has its data: inputs deleted from R2 when its reservation expires", async () => {
    const index = env.CLIENT_INDEX.getByName(`never-started-${crypto.randomUUID()}`);
    const id = await newGenerationId((await keyring(env)).idKey);
    const model = findModel(I2V);
    if (model === undefined) throw new Error(`${I2V} is not in the catalogue`);
    const { media } = await prepareInlineMedia(model, { prompt: "a heron", image_url: PNG_DATA_URI });
    const createdAt = Date.now() - 2 * NEVER_STARTED_AFTER_MS;
    expect(
      await index.reserve({
        id,
        createdAt,
        idempotencyKey: null,
        bodyHash: "h",
        maxActive: 10,
        budget: null,
        month: utcMonth(Date.now()),
      }),
    ).toEqual({
      kind: "created",
    });
    await storeInlineMedia(env.VIDEOS, id, media);
    expect((await env.VIDEOS.list({ prefix: inputsPrefix(id) })).objects).toHaveLength(1);
    // The Worker died here: start() never ran. The index's reconciliation finds the object never started.
    expect(await runDurableObjectAlarm(index)).toBe(true);
    expect((await env.VIDEOS.list({ prefix: inputsPrefix(id) })).objects).toEqual([]);
    expect(await stubOf(id).probe()).toBeNull();
  });
});
