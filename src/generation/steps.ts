/**
 * The alarm's steps, one effect each: submit the task, poll it, copy the
 * video into R2. Each feeds its outcome back to the lifecycle as an event;
 * expected failures are outcomes, so a throw here is a bug.
 */
import { errorMessage } from "../lib/errors.ts";
import { findModel } from "../models/catalogue.ts";
import { restoreInlineMedia } from "../models/inline-media.ts";
import { toUpstreamFields } from "../models/validate.ts";
import { logEvent, logProblem } from "../lib/log.ts";
import { copyVideoToR2, videoKey, VIDEO_CONTENT_TYPE } from "../storage/copy-to-r2.ts";
import type { Upstream } from "../upstream/index.ts";
import type { UpstreamInput } from "../upstream/port.ts";
import type { LifecycleEvent, Step } from "./lifecycle.ts";
import type { GenerationState } from "./state.ts";
import type { GenerationStore } from "./store.ts";

export interface StepContext {
  bucket: R2Bucket;
  store: GenerationStore;
  upstream: Upstream;
  /** Applies one lifecycle event (object.ts); resolves to the state after it. */
  apply(event: LifecycleEvent): Promise<GenerationState | null>;
}

export async function performStep(step: Step, state: GenerationState, ctx: StepContext): Promise<void> {
  try {
    if (step === "submit") await submit(state, ctx);
    else if (step === "poll") await poll(state, ctx);
    else await copyVideo(state, ctx);
  } catch (error) {
    // A bug, not an outcome. Log it, and let the generation carry on from its
    // stored state after a backoff rather than lose it to the runtime's
    // limited alarm retries.
    const reason = errorMessage(error);
    logProblem({ event: "alarm.step_failed", generation: state.id, step, error: reason });
    await ctx.apply({ type: "step_crashed", reason: `${step}: ${reason}` });
  }
}

async function submit(state: GenerationState, ctx: StepContext): Promise<void> {
  // Read before anything is marked in flight: a failed read sends nothing.
  const body = await upstreamBody(state, ctx.bucket);
  if (body.kind === "missing") {
    await ctx.apply({ type: "input_missing", reason: `the stored input ${body.key} is gone from R2` });
    return;
  }
  // Persisted before the request leaves (the output gate holds the fetch
  // until the write is durable): if the runtime dies mid-request, the next
  // alarm finds `inFlight` and fails with submit_uncertain instead of paying twice.
  await ctx.apply({ type: "submit_started" });
  const started = Date.now();
  const outcome = await ctx.upstream.submit(body.body);
  const attempt = state.submit.attempts + 1;
  logEvent(state, { event: "generation.submitted", outcome: outcome.kind, attempt, submit_ms: Date.now() - started });
  await ctx.apply({ type: "submitted", outcome });
}

/**
 * What the upstream receives (CONTRACT.md §9): `model` and exactly the
 * caller's fields, under the names the model's published schema uses
 * (`enable_prompt_expansion` is sent as `enhance_prompt`), each `data:` URI
 * read back from R2 as sent.
 */
export async function upstreamBody(
  state: GenerationState,
  bucket: R2Bucket,
): Promise<{ kind: "ok"; body: UpstreamInput } | { kind: "missing"; key: string }> {
  // Rows written before the model catalogue kept `model` in the input.
  const { model: _model, ...fields } = state.input;
  const restored = await restoreInlineMedia(bucket, fields, state.inlineMedia ?? []);
  if (restored.kind === "missing") return restored;
  const model = findModel(state.model);
  const named = model === undefined ? restored.input : toUpstreamFields(model, restored.input);
  return { kind: "ok", body: { model: state.model, ...named } };
}

async function poll(state: GenerationState, ctx: StepContext): Promise<void> {
  if (state.upstream.id === null) return;
  const outcome = await ctx.upstream.poll(state.upstream.id);
  await ctx.apply({ type: "polled", outcome });
}

async function copyVideo(state: GenerationState, ctx: StepContext): Promise<void> {
  const url = state.download.url;
  if (url === null) return;
  const started = Date.now();
  ctx.store.appendTimeline(started, [{ type: "storage.started", detail: { attempt: state.download.attempts + 1 } }]);
  const result = await ctx.upstream.download(url);
  if (result.kind === "failed") {
    const { kind: _kind, ...failure } = result;
    await ctx.apply({ type: "store_failed", ...failure });
    return;
  }
  // A cancel may have run while the download started.
  if (ctx.store.load()?.status !== "storing") {
    await result.download.body.cancel();
    return;
  }
  const key = videoKey(state.id);
  try {
    const copied = await copyVideoToR2(ctx.bucket, key, result.download);
    const copyMs = Date.now() - started;
    const after = await ctx.apply({ type: "stored", video: { key, ...copied, contentType: VIDEO_CONTENT_TYPE } });
    const attempt = state.download.attempts + 1;
    if (after?.status === "completed")
      logEvent(after, { event: "generation.stored", bytes: copied.bytes, copy_ms: copyMs, attempt });
    // Canceled or deleted (purged) during the copy: the bytes belong to nobody.
    if (after === null || after.status !== "completed") await ctx.bucket.delete(key);
  } catch (error) {
    await ctx.apply({ type: "store_failed", reason: errorMessage(error) });
  }
}
