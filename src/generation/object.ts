/**
 * One Durable Object per generation: a thin shell around the pure lifecycle
 * (lifecycle.ts). Every change goes load → reduce → persist → schedule, with
 * no await in between, so a request that runs while the alarm awaits a fetch
 * (the input gate opens there) always sees, and is seen by, a consistent
 * state. Persistence is store.ts, the alarm's steps steps.ts, links links.ts,
 * webhooks webhook/dispatch.ts.
 *
 * The alarm is the only place that talks to the upstream. It is safe to run
 * twice: it decides from the persisted state, never from memory.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type Config } from "../config.ts";
import { adapterFor, createUpstream } from "../upstream/index.ts";
import { nextDeliveryAt, redeliver } from "../webhook/delivery.ts";
import { WebhookDispatcher, withWebhookEvents } from "../webhook/dispatch.ts";
import { Eraser } from "./erasure.ts";
import { markForErasure, nextAlarmAt, nextStep, reduce, type LifecycleEvent } from "./lifecycle.ts";
import { toSummary } from "./client-index.ts";
import { signedVideoLink, withSignedLink } from "./links.ts";
import { Watchers, type Frame } from "./watchers.ts";
import type { Generation } from "./schema.ts";
import {
  isTerminal,
  needsIndexSync,
  newGenerationState,
  type GenerationState,
  type NewGeneration,
  type StoredVideo,
} from "./state.ts";
import { syncClientIndex } from "./index-sync.ts";
import { logEvent } from "../lib/log.ts";
import { meteredBucket } from "./meter.ts";
import { performStep } from "./steps.ts";
import { GenerationStore, type TimelinePage } from "./store.ts";
import { toGeneration } from "./view.ts";

export type StartParams = NewGeneration;
/** Who asks for the video: the owning client's key, or a signed link the Worker has already verified. */
export type VideoAuth = { clientId: string } | { verifiedLink: true };
export type VideoAccess =
  { kind: "ok"; video: StoredVideo } | { kind: "not_found" } | { kind: "not_ready"; status: string };
export type CancelResult =
  { kind: "ok"; generation: Generation } | { kind: "not_found" } | { kind: "conflict"; status: string };
export type PurgeResult = { kind: "ok" } | { kind: "not_found" };
export type RedeliverResult =
  | { kind: "ok"; generation: Generation }
  | { kind: "not_found" }
  | { kind: "nothing_to_send"; reason: string }
  /** That terminal event's delivery is still scheduled or in flight. */
  | { kind: "pending" };

/** How long an index update or an erasure that failed waits before the alarm tries again. */
const RETRY_MS = 5_000;
/** Steps one alarm may chain when each makes the next due at once (a poll that finds the video, then the copy). */
const MAX_STEPS_PER_ALARM = 3;

export class GenerationObject extends DurableObject<Env> {
  private readonly store: GenerationStore;
  private readonly webhooks: WebhookDispatcher;
  private readonly watchers = new Watchers();
  /** The alarm runs, chained one after another (see alarm()). */
  private alarms: Promise<void> = Promise.resolve();
  private alarmRunning = false;
  /** The bucket, each operation counted in the meter (meter.ts). */
  private readonly videos: R2Bucket;
  /** Whether the last schedule found nothing left to do (the `generation.settled` line is written once per settling). */
  private settled = false;
  private readonly eraser: Eraser;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new GenerationStore(ctx.storage);
    this.videos = meteredBucket(env.VIDEOS, this.store.meter);
    this.webhooks = new WebhookDispatcher({
      store: this.store,
      config: () => this.config,
      waitUntil: (promise) => ctx.waitUntil(promise),
      reschedule: async () => {
        // A webhook's series that ends changes what the client's list shows.
        await syncClientIndex(this.env, this.store);
        await this.scheduleAlarm();
      },
    });
    this.eraser = new Eraser({
      env,
      store: this.store,
      videos: this.videos,
      watchers: this.watchers,
      config: () => this.config,
      databaseSize: () => ctx.storage.sql.databaseSize,
    });
  }

  private get config(): Config {
    return readConfig(this.env);
  }

  // ---- RPC methods (called by the Worker) ---------------------------------

  /** Creates the generation if this object is new; idempotent. Submission happens in the alarm. */
  async start(params: StartParams): Promise<Generation> {
    this.store.meter.request("start");
    const existing = this.store.load();
    if (existing) return this.render(existing);
    const now = Date.now();
    const config = this.config;
    const state = newGenerationState(params, {
      adapter: adapterFor(config),
      timeoutMs: config.generationTimeoutMs,
      now,
    });
    const generation = await this.render(state);
    // Another start() may have run during that await (the same Idempotency-Key twice at once).
    const raced = this.store.load();
    if (raced) return this.render(raced);
    this.store.create();
    this.store.save(state);
    const detail = { upstream: state.upstream.adapter, webhook: state.webhook !== null };
    this.store.appendTimeline(now, [{ type: "generation.created", detail }]);
    this.store.snapshot(toSummary(generation));
    logEvent(
      state,
      { event: "generation.created", adapter: state.upstream.adapter, webhook: state.webhook !== null },
      now,
    );
    await this.scheduleAlarm();
    // At once, so the client's list shows the generation as soon as it is created.
    await syncClientIndex(this.env, this.store);
    return generation;
  }

  /**
   * A live feed for the SSE route (watchers.ts): the Generation at each status
   * change after `afterSeq`, then each new one as it happens, ending after the
   * terminal one. Every link in it is signed when its frame is sent.
   */
  async watch(clientId: string, afterSeq: number): Promise<ReadableStream<Uint8Array> | null> {
    this.store.meter.request("watch");
    if (!this.owned(clientId)) return null;
    const history: Frame[] = [];
    // Signing awaits, so changes made meanwhile are picked up before the feed opens.
    for (
      let rows = this.store.changes(afterSeq);
      rows.length > 0;
      rows = this.store.changes(history.at(-1)?.seq ?? 0)
    ) {
      for (const { seq, summary } of rows)
        history.push({ seq, generation: await withSignedLink(this.env, summary, Date.now()) });
    }
    const state = this.store.load();
    return this.watchers.open(history, state === null || isTerminal(state.status));
  }

  /** The status, or null if this object was never started or is deleted (for the client index's reconciliation). */
  async probe(): Promise<Generation["status"] | null> {
    this.store.meter.request("probe");
    const state = this.store.load();
    return state && !state.erasing ? state.status : null;
  }

  async get(clientId: string): Promise<Generation | null> {
    this.store.meter.request("get");
    const state = this.owned(clientId);
    return state ? this.render(state) : null;
  }

  /** The timeline, oldest first, `limit` events after the one numbered `cursor`. */
  async events(clientId: string, page: { limit: number; cursor: number | null }): Promise<TimelinePage | null> {
    this.store.meter.request("events");
    return this.owned(clientId) ? this.store.timeline(page.limit, page.cursor) : null;
  }

  async cancel(clientId: string): Promise<CancelResult> {
    this.store.meter.request("cancel");
    const state = this.owned(clientId);
    if (!state) return { kind: "not_found" };
    if (isTerminal(state.status)) return { kind: "conflict", status: state.status };
    this.store.appendTimeline(Date.now(), [{ type: "generation.cancel_requested", detail: {} }]);
    const next = await this.apply({ type: "cancel" });
    // The generation may have reached another terminal state meanwhile.
    if (next === null || next.status !== "canceled") return { kind: "conflict", status: next?.status ?? state.status };
    return { kind: "ok", generation: await this.render(next) };
  }

  async redeliverWebhook(clientId: string): Promise<RedeliverResult> {
    this.store.meter.request("redeliverWebhook");
    const before = this.owned(clientId);
    if (!before) return { kind: "not_found" };
    // Signed before the synchronous section: the event goes out again with a link valid from now.
    const now = Date.now();
    const link = before.video ? await signedVideoLink(this.env, before, now) : null;
    const state = this.owned(clientId);
    if (!state) return { kind: "not_found" };
    if (!state.webhook) return { kind: "nothing_to_send", reason: "This generation has no webhook_url" };
    const data = toGeneration(state, state.video ? link : null, this.config.retentionMs);
    const outcome = redeliver(state.webhook, now, (body) => JSON.stringify({ ...(JSON.parse(body) as object), data }));
    if (outcome.kind === "pending") return outcome;
    if (outcome.kind === "nothing_to_send") {
      return { kind: "nothing_to_send", reason: "No terminal event has been sent yet" };
    }
    this.store.save({ ...state, webhook: outcome.webhook, updatedAt: now });
    this.store.appendTimeline(now, [{ type: "webhook.redeliver", detail: {} }]);
    this.webhooks.startDue(now);
    await this.scheduleAlarm();
    const latest = this.store.load();
    return latest ? { kind: "ok", generation: await this.render(latest) } : { kind: "not_found" };
  }

  async videoAccess(auth: VideoAuth): Promise<VideoAccess> {
    this.store.meter.request("videoAccess");
    const state = this.store.load();
    if (!state || state.erasing) return { kind: "not_found" };
    if ("clientId" in auth && state.clientId !== auth.clientId) return { kind: "not_found" };
    if (!state.video) return { kind: "not_ready", status: state.status };
    this.store.meter.videoRead();
    return { kind: "ok", video: state.video };
  }

  /**
   * Deletes the generation for good: cancels it first if it still runs
   * (silently: no webhook, no upstream request after this), then deletes
   * its R2 objects, its index row and all of this object's storage. It is
   * marked first, so from that moment every call answers as if it never
   * existed; if a step fails, the alarm finishes the deletion.
   */
  async purge(clientId: string): Promise<PurgeResult> {
    this.store.meter.request("purge");
    const state = this.owned(clientId);
    if (!state) return { kind: "not_found" };
    this.store.save(markForErasure(state, "purged", Date.now()));
    // Live feeds end; the stream route finds the generation gone when it reopens one.
    this.watchers.closeAll();
    await this.scheduleAlarm();
    await this.eraser.eraseOrRetryLater();
    return { kind: "ok" };
  }

  // ---- the alarm ----------------------------------------------------------

  /**
   * Alarms are at-least-once, and one can be delivered while another runs
   * (the input gate opens while a run awaits the upstream). Runs are chained:
   * a delivery waits for the run before it, then decides from the state that
   * run left, so no step is performed twice at once and no schedule is lost.
   */
  override alarm(): Promise<void> {
    this.store.meter.alarm();
    // Read on delivery: the time this alarm was set for.
    const scheduledFor = this.store.alarmAt() ?? 0;
    const run = this.alarms.then(() => this.runAlarm(scheduledFor));
    this.alarms = run.catch(() => undefined);
    return run;
  }

  /**
   * Performs the work the alarm was set for: every step due by the time it
   * was scheduled for, or by now. Alarms never fire early in production, so
   * there this is simply "due by now", and timestamps are the wall clock
   * throughout. Reading the scheduled time from the alarm row instead of
   * trusting the clock keeps an alarm that fires a little early (or one a
   * test steps early with runDurableObjectAlarm) from waking up and doing
   * nothing: it does exactly the work it was set for.
   */
  private async runAlarm(scheduledFor: number): Promise<void> {
    this.alarmRunning = true;
    const idle = this.store.meter.busy();
    let finished = false;
    try {
      await this.apply({ type: "tick" });
      for (let steps = 0; steps < MAX_STEPS_PER_ALARM; steps++) {
        const state = this.store.load();
        const step = state === null ? null : nextStep(state);
        const dueBy = Math.max(Date.now(), scheduledFor);
        if (state === null || step === null || state.nextActionAt === null || state.nextActionAt > dueBy) break;
        const ctx = { bucket: this.videos, store: this.store, apply: (e: LifecycleEvent) => this.apply(e) };
        await performStep(step, state, {
          ...ctx,
          upstream: createUpstream(state.upstream.adapter, this.config, this.env.ASSETS),
        });
      }
      this.webhooks.startDue(Math.max(Date.now(), scheduledFor));
      if (this.eraser.markIfExpired(Math.max(Date.now(), scheduledFor))) {
        finished = await this.eraser.eraseOrRetryLater();
        return;
      }
      await syncClientIndex(this.env, this.store);
      finished = true;
    } finally {
      // Whatever happened above, the next alarm is set; after a throw (a bug)
      // no sooner than a poll interval, as if still running, so it cannot spin.
      this.alarmRunning = !finished;
      idle();
      await this.scheduleAlarm();
      this.alarmRunning = false;
    }
  }

  // ---- the one transition path ----------------------------------------------

  /** Applies one lifecycle event: load → reduce → enqueue webhooks → persist → start deliveries → schedule. */
  private async apply(event: LifecycleEvent): Promise<GenerationState | null> {
    const before = this.store.load();
    if (!before) return null;
    const now = Date.now();
    // Async work (signing the link) happens before the synchronous section,
    // and only when a rendered Generation can carry a video.
    const link = before.video !== null || event.type === "stored" ? await signedVideoLink(this.env, before, now) : null;
    const state = this.store.load();
    if (!state) return null;
    const transition = reduce(state, event, { now, pollIntervalMs: this.config.pollIntervalMs });
    const view = (s: GenerationState): Generation => toGeneration(s, s.video ? link : null, this.config.retentionMs);
    let next = transition.state;
    if (transition.notify.length > 0) next = withWebhookEvents(next, transition.notify, view(next), now);
    if (next !== state) this.store.save(next);
    this.store.appendTimeline(now, transition.timeline);
    logTransition(state, next, now);
    if (next.status !== state.status) {
      const generation = view(next);
      const seq = this.store.snapshot(toSummary(generation));
      this.watchers.publish({ seq, generation }, isTerminal(next.status));
    }
    this.webhooks.startDue(now);
    await this.scheduleAlarm();
    if (needsIndexSync(next)) {
      await syncClientIndex(this.env, this.store);
      // Acknowledged: the alarm need not wake for a retry of it (the next may be retention's).
      await this.scheduleAlarm();
    }
    return this.store.load();
  }

  /**
   * Sets the alarm from the latest state. While an alarm runs it is set no
   * earlier than one poll interval ahead: it is then only where to resume if
   * the run dies, and the run sets the real time when it ends. Setting work
   * that is due now mid-run would have the runtime deliver a second alarm for
   * the work this run is doing.
   */
  private async scheduleAlarm(): Promise<void> {
    const state = this.store.load();
    if (!state) return;
    const now = Date.now();
    const at = nextAlarmAt(state, now, RETRY_MS, this.config.retentionMs);
    const floor = this.alarmRunning ? now + this.config.pollIntervalMs : now;
    await this.store.scheduleAlarm(at === null ? null : Math.max(at, floor));
    const settled = isTerminal(state.status) && nextDeliveryAt(state.webhook) === null && !needsIndexSync(state);
    if (settled && !this.settled) {
      logEvent(state, {
        event: "generation.settled",
        status: state.status,
        polls: state.upstream.polls,
        meter: this.store.meter.snapshot(),
        sqlite_bytes: this.ctx.storage.sql.databaseSize,
      });
    }
    this.settled = settled;
  }

  /** The state if it belongs to `clientId`; null otherwise, and for a generation being deleted. */
  private owned(clientId: string): GenerationState | null {
    const state = this.store.load();
    return state && state.clientId === clientId && !state.erasing ? state : null;
  }

  private async render(state: GenerationState): Promise<Generation> {
    const link = state.video ? await signedVideoLink(this.env, state, Date.now()) : null;
    return toGeneration(state, link, this.config.retentionMs);
  }
}

/** The lifecycle lines of one transition: its status change, and the failure's code. */
function logTransition(before: GenerationState, after: GenerationState, now: number): void {
  if (after.status === before.status) return;
  logEvent(
    after,
    { event: "generation.status", from: before.status, to: after.status, polls: after.upstream.polls },
    now,
  );
  if (after.status === "failed" && after.error) {
    logEvent(after, { event: "generation.failed", code: after.error.code, from: before.status }, now);
  }
}
