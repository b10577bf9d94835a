/**
 * The alarm's steps, one effect each: submit the task, poll it, copy the
 * video into R2. Each feeds its outcomes back to the lifecycle as events
 * through the object's `apply()`, and holds no state of its own.
 *
 * A step's I/O opens the Durable Object's input gate: a cancel or a purge can
 * run at every await. So after each await a step re-reads the state (apply
 * answers with the state after the event) and acts only if that state still
 * asks for it. Expected failures are outcomes; a throw here is a bug.
 */
import { errorMessage } from "../lib/errors.ts";
import { logEvent, logProblem } from "../lib/log.ts";
import { findModel } from "../models/catalogue.ts";
import { restoreInlineMedia } from "../models/inline-media.ts";
import { toUpstreamFields } from "../models/validate.ts";
import { copyVideoToR2, videoKey, VIDEO_CONTENT_TYPE } from "../storage/copy-to-r2.ts";
import type { Upstream, UpstreamInput } from "../upstream/port.ts";
import { ownsSubmission, type LifecycleEvent, type Step } from "./lifecycle.ts";
import type { GenerationState } from "./state.ts";

export interface StepContext {
  bucket: R2Bucket;
  upstream: Upstream;
  /** Applies one lifecycle event (object.ts); answers the state after it (null once the generation is gone). */
  apply(event: LifecycleEvent): GenerationState | null;
  /** The state as it is now. */
  load(): GenerationState | null;
  /** A freshly signed link to the generation's stored video. */
  signLink(state: GenerationState): Promise<string>;
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
    ctx.apply({ type: "step_crashed", reason: `${step}: ${reason}` });
  }
}

/**
 * Sends the create request at most once per accepted create: the request
 * leaves only if the state that `submit_started` produced owns the
 * submission, after the inputs were read (a cancel or purge meanwhile
 * leaves a terminal or erased state, which owns nothing).
 */
async function submit(state: GenerationState, ctx: StepContext): Promise<void> {
  // Read before anything is marked in flight: a failed read sends nothing.
  const body = await upstreamBody(state, ctx.bucket);
  if (body.kind === "missing") {
    ctx.apply({ type: "input_missing", reason: `the stored input ${body.key} is gone from R2` });
    return;
  }
  // Persisted before the request leaves (the output gate holds the fetch
  // until the write is durable): if the runtime dies mid-request, the next
  // alarm finds `inFlight` and fails with submit_uncertain instead of paying twice.
  const started = ctx.apply({ type: "submit_started" });
  if (started === null || !ownsSubmission(state, started)) return;
  const startedAt = Date.now();
  const outcome = await ctx.upstream.submit(body.body);
  logEvent(state, {
    event: "generation.submitted",
    outcome: outcome.kind,
    attempt: started.submit.attempts,
    submit_ms: Date.now() - startedAt,
  });
  ctx.apply({ type: "submitted", outcome });
}

/**
 * What the upstream receives (docs/api.md#models): `model` and exactly the
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
  ctx.apply({ type: "polled", outcome });
}

async function copyVideo(state: GenerationState, ctx: StepContext): Promise<void> {
  const url = state.download.url;
  if (url === null) return;
  const started = Date.now();
  if (ctx.apply({ type: "store_started" })?.status !== "storing") return;
  const result = await ctx.upstream.download(url);
  if (result.kind === "failed") {
    const { kind: _kind, ...failure } = result;
    ctx.apply({ type: "store_failed", ...failure });
    return;
  }
  // A cancel or purge may have run while the download started.
  if (ctx.load()?.status !== "storing") {
    await result.download.body.cancel();
    return;
  }
  const key = videoKey(state.id);
  let copied: Awaited<ReturnType<typeof copyVideoToR2>>;
  try {
    copied = await copyVideoToR2(ctx.bucket, key, result.download);
  } catch (error) {
    ctx.apply({ type: "store_failed", reason: errorMessage(error) });
    return;
  }
  const copyMs = Date.now() - started;
  // The completed event's body carries a link signed now.
  const link = await ctx.signLink(state);
  const after = ctx.apply({ type: "stored", video: { key, ...copied, contentType: VIDEO_CONTENT_TYPE }, link });
  if (after?.status === "completed") {
    logEvent(after, {
      event: "generation.stored",
      bytes: copied.bytes,
      copy_ms: copyMs,
      attempt: after.download.attempts + 1,
    });
    return;
  }
  // Canceled or deleted (purged) during the copy: the bytes belong to nobody.
  await ctx.bucket.delete(key);
}
