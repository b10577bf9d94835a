/**
 * One Durable Object per generation: a thin shell around the pure lifecycle
 * (lifecycle.ts). A generation's state changes in one place only, `apply()`:
 *
 *   load once → reduce (the pure reducer) → persist once (store.commit) → schedule the alarm once
 *
 * (a change the reducer marks deferrable, the client index's acknowledgement,
 * is persisted with the next one: see Transition.deferrable)
 *
 * with no await in between, so a request that runs while the alarm awaits a
 * fetch (the input gate opens there) always sees, and is seen by, a
 * consistent state. The I/O a state asks for is done by the steps
 * (steps.ts: submit, poll, copy), the webhook attempts (deliveries.ts), the
 * client index report (index-sync.ts) and the erasure (erasure.ts); each
 * hands its outcome back here as a lifecycle event and re-reads the state
 * after every await before acting on it.
 *
 * The alarm is the only place that talks to the upstream. It is safe to run
 * twice: it decides from the persisted state, never from memory.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type Config, type Retention } from "../config.ts";
import { errorMessage } from "../lib/errors.ts";
import { logEvent, logProblem } from "../lib/log.ts";
import { createUpstream, adapterFor } from "../upstream/index.ts";
import { isTerminal } from "../vocabulary.ts";
import { nextDeliveryAt, redeliver } from "../webhook/delivery.ts";
import { Deliveries } from "./deliveries.ts";
import { eraseOutside, releaseSlot } from "./erasure.ts";
import { reportToIndex } from "./index-sync.ts";
import { nextAlarmAt, nextStep, reduce, type LifecycleContext, type LifecycleEvent } from "./lifecycle.ts";
import { signedVideoLink, videoLinkBase } from "./links.ts";
import { logTransition } from "./log-lines.ts";
import { meteredBucket } from "./meter.ts";
import {
  expiresAt,
  holdsSlot,
  needsIndexSync,
  type GenerationState,
  type NewGeneration,
  type StoredVideo,
} from "./state.ts";
import { performStep, type StepContext } from "./steps.ts";
import { GenerationStore, type TimelinePage } from "./store.ts";
import { toGeneration, toSummary, type Generation } from "./view.ts";
import { Watchers, type Frame } from "./watchers.ts";

export type StartParams = NewGeneration;
export interface StartOptions {
  /** An Idempotency-Key replay: the id may have been deleted for good meanwhile (see start()). */
  replay: boolean;
  /**
   * The client index lists this generation already: the Worker's reservation
   * carried `createdSummary(params)`, so the object has nothing to report
   * until something changes. Never with `replay`.
   */
  listed?: boolean;
}
/** `gone`: the id was deleted for good (purged, or expired); it is never created again. */
export type StartResult = { kind: "ok"; generation: Generation } | { kind: "gone" };
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
  | { kind: "pending" }
  /** Redelivered the most times it may be. */
  | { kind: "limit" }
  /** Redelivered less than a minute ago. */
  | { kind: "too_soon"; retryAfterMs: number };

/** How long an index update or an erasure that failed waits before the alarm tries again. */
const RETRY_MS = 5_000;
/** Steps one alarm may chain when each makes the next due at once (a poll that finds the video, then the copy). */
const MAX_STEPS_PER_ALARM = 3;

export class GenerationObject extends DurableObject<Env> {
  private readonly store: GenerationStore;
  private readonly watchers = new Watchers();
  private readonly deliveries: Deliveries;
  /** The bucket, each operation counted in the meter (meter.ts). */
  private readonly videos: R2Bucket;
  /** The alarm runs, chained one after another (see alarm()). */
  private alarms: Promise<void> = Promise.resolve();
  private alarmRunning = false;
  /** The time this instance last set the alarm for (null: none; undefined: not known to this instance). */
  private alarmSetFor: number | null | undefined = undefined;
  /** Whether the last schedule found nothing left to do (the `generation.settled` line is written once per settling). */
  private settled = false;
  /** The erasure in flight: a purge and the alarm share it rather than race. */
  private erasure: Promise<void> | null = null;
  /** This instance erased its generation: the id is never started again (see start()). */
  private erased = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new GenerationStore(ctx.storage);
    this.videos = meteredBucket(env.VIDEOS, this.store.meter);
    this.deliveries = new Deliveries({
      meter: this.store.meter,
      config: () => this.config,
      load: () => this.current(),
      apply: (event) => this.apply(event),
      waitUntil: (promise) => ctx.waitUntil(promise),
      // A webhook series that ends changes what the client's list shows.
      reported: () => this.syncIndex(),
    });
  }

  private get config(): Config {
    return readConfig(this.env);
  }

  // ---- RPC methods (called by the Worker) ---------------------------------

  /**
   * Creates the generation if this object has none; idempotent. Submission
   * happens in the alarm. A `replay` (an Idempotency-Key seen before) may
   * reach an id deleted for good: it is never created again, whether this
   * instance remembers the deletion or the client index does (it keeps
   * deleted ids for a day, longer than an Idempotency-Key lives).
   */
  async start(params: StartParams, options: StartOptions = { replay: false }): Promise<StartResult> {
    this.store.meter.request("start");
    const existing = this.current();
    if (existing) return existing.erasing ? { kind: "gone" } : { kind: "ok", generation: await this.render(existing) };
    if (this.erased) return { kind: "gone" };
    if (options.replay) {
      this.store.meter.indexRequest();
      const forgotten = await this.env.CLIENT_INDEX.getByName(params.clientId).isForgotten(params.id);
      // The input gate opened: another start() may have created it, or a purge erased it, meanwhile.
      const raced = this.current();
      if (raced) return raced.erasing ? { kind: "gone" } : { kind: "ok", generation: await this.render(raced) };
      if (forgotten || this.erased) return { kind: "gone" };
    }
    const config = this.config;
    const state = this.apply({
      type: "created",
      generation: params,
      adapter: params.adapter ?? adapterFor(config),
      timeoutMs: config.generationTimeoutMs,
      listed: options.listed === true && !options.replay,
    });
    if (state === null) throw new Error("the generation was not created");
    // At once, so the client's list shows the generation as soon as it is
    // created (nothing to send when the reservation listed it already).
    await this.syncIndex();
    return { kind: "ok", generation: await this.render(state) };
  }

  /**
   * A live feed for the SSE route (watchers.ts): the Generation at each status
   * change after `afterSeq`, then each new one as it happens, ending after the
   * terminal one.
   */
  async watch(clientId: string, afterSeq: number): Promise<ReadableStream<Uint8Array> | null> {
    this.store.meter.request("watch");
    const state = this.owned(clientId);
    if (!state) return null;
    const history: Frame[] = this.store.changes(afterSeq);
    return this.watchers.open(history, isTerminal(state.status));
  }

  /**
   * The status and whether it holds its client's slot, or null if this object
   * was never started or is being deleted (for the client index's reconciliation).
   */
  async probe(): Promise<{ status: Generation["status"]; holdsSlot: boolean } | null> {
    this.store.meter.request("probe");
    const state = this.current();
    return state && !state.erasing ? { status: state.status, holdsSlot: holdsSlot(state) } : null;
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
    const next = this.apply({ type: "cancel_requested" });
    if (next === null) return { kind: "not_found" };
    if (next.status !== "canceled") return { kind: "conflict", status: next.status };
    this.deliveries.startDue(Date.now());
    await this.syncIndex();
    return { kind: "ok", generation: await this.render(next) };
  }

  async redeliverWebhook(clientId: string): Promise<RedeliverResult> {
    this.store.meter.request("redeliverWebhook");
    const before = this.owned(clientId);
    if (!before) return { kind: "not_found" };
    // Signed before the event is applied: the event goes out again with a link valid from now.
    const link = before.video ? await signedVideoLink(this.env, before, Date.now()) : null;
    const state = this.owned(clientId);
    if (!state) return { kind: "not_found" };
    if (!state.webhook) return { kind: "nothing_to_send", reason: "This generation has no webhook_url" };
    const check = redeliver(state.webhook, Date.now());
    if (check.kind === "nothing_to_send") {
      return { kind: "nothing_to_send", reason: "No terminal event has been sent yet" };
    }
    if (check.kind !== "ok") return check;
    const next = this.apply({ type: "redeliver_requested", link });
    if (next === null) return { kind: "not_found" };
    this.deliveries.startDue(Date.now());
    await this.syncIndex();
    return { kind: "ok", generation: await this.render(this.current() ?? next) };
  }

  async videoAccess(auth: VideoAuth): Promise<VideoAccess> {
    this.store.meter.request("videoAccess");
    const state = this.current();
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
    if (!this.owned(clientId)) return { kind: "not_found" };
    this.apply({ type: "erase_requested", reason: "purged" });
    await this.erase();
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
    // The time this delivery was set for, read on delivery: one that arrives
    // while a run is under way does only what is due by now.
    const scheduledFor = this.alarmRunning ? Date.now() : (this.alarmSetFor ?? this.derivedAlarmTime());
    const run = this.alarms.then(() => this.runAlarm(scheduledFor));
    this.alarms = run.catch(() => undefined);
    return run;
  }

  /**
   * Performs the work the alarm was set for: every step due by the time it
   * was set for (`scheduledFor`), or by now. Alarms never fire early in
   * production, so there this is simply "due by now"; an alarm that fires a
   * little early (or one a test steps early with runDurableObjectAlarm) does
   * exactly the work it was set for.
   */
  private async runAlarm(scheduledFor: number | null): Promise<void> {
    this.alarmRunning = true;
    // The alarm being delivered is no longer set.
    this.alarmSetFor = null;
    const idle = this.store.meter.busy();
    let finished = false;
    try {
      if (this.current() === null) return;
      // Due by the time the alarm was set for, or by now, read again after
      // each step: a step that makes the next one due at once (a poll that
      // finds the video, then its copy) is followed in this run, not the next.
      const dueBy = (): number => Math.max(Date.now(), scheduledFor ?? 0);
      this.apply({ type: "tick" });
      for (let steps = 0; steps < MAX_STEPS_PER_ALARM; steps++) {
        const state = this.current();
        const step = state === null ? null : nextStep(state);
        if (state === null || step === null || state.nextActionAt === null || state.nextActionAt > dueBy()) break;
        await performStep(step, state, this.stepContext(state));
      }
      this.deliveries.startDue(dueBy());
      const latest = this.current();
      const expiry = latest === null ? null : expiresAt(latest, this.config.retention);
      if (expiry !== null && expiry <= dueBy()) this.apply({ type: "erase_requested", reason: "expired" });
      if (this.current()?.erasing) {
        finished = await this.erase();
        return;
      }
      await this.syncIndex();
      finished = true;
    } finally {
      this.alarmRunning = false;
      idle();
      // Whatever happened above, the next alarm is set; after a throw (a bug)
      // no sooner than a poll interval, as if still running, so it cannot spin.
      const state = this.current();
      if (state !== null) this.schedule(state, finished ? 0 : Date.now() + this.config.pollIntervalMs);
    }
  }

  /**
   * The time the pending alarm was set for, when this instance did not set it
   * (it was started since): `nextAlarmAt` of the state the alarm was set
   * from, which nothing has changed since, or the alarm would have been set
   * again.
   */
  private derivedAlarmTime(): number | null {
    const state = this.current();
    return state === null ? null : nextAlarmAt(state, Date.now(), this.scheduleOptions);
  }

  private stepContext(state: GenerationState): StepContext {
    return {
      bucket: this.videos,
      upstream: createUpstream(state.upstream.adapter, this.config, this.env.ASSETS),
      apply: (event) => this.apply(event),
      load: () => this.current(),
      signLink: (of) => signedVideoLink(this.env, of, Date.now()),
    };
  }

  // ---- the one transition path ----------------------------------------------

  /**
   * Applies one lifecycle event: load once → reduce → persist once →
   * schedule once. Synchronous: nothing else can run in between. Answers the
   * state after the event (null when there is no generation).
   */
  private apply(event: LifecycleEvent): GenerationState | null {
    const loaded = this.store.load();
    const before = loaded?.state ?? null;
    const now = Date.now();
    const { state: next, timeline, deferrable } = reduce(before, event, this.lifecycleContext(now));
    if (next === before && timeline.length === 0) return before;
    if (next === null) return null;
    const statusChanged = before === null || next.status !== before.status;
    const snapshot =
      statusChanged && next.erasing === undefined
        ? toSummary(next, videoLinkBase(this.env, next), this.config.retention)
        : null;
    // Once erasing, what the client made (its timeline, its snapshots) goes at once.
    const forgetHistory = next.erasing !== undefined && before?.erasing === undefined;
    const change = { at: now, state: next === before ? null : next, timeline, snapshot, forgetHistory, deferrable };
    const { snapshotSeq } = this.store.commit(change, loaded);
    logTransition(before, next, timeline, now);
    if (snapshot !== null) this.watchers.publish({ seq: snapshotSeq, summary: snapshot }, isTerminal(next.status));
    if (next.erasing) this.watchers.closeAll();
    // While an alarm runs, it sets the next one when it ends.
    if (!this.alarmRunning) this.schedule(next, now);
    return next;
  }

  private lifecycleContext(now: number): LifecycleContext {
    const config = this.config;
    return {
      now,
      pollIntervalMs: config.pollIntervalMs,
      retention: config.retention,
      webhookRetryScheduleMs: config.webhookRetryScheduleMs,
      indexRetryMs: RETRY_MS,
    };
  }

  private get scheduleOptions(): { retention: Retention; retryMs: number } {
    return { retention: this.config.retention, retryMs: RETRY_MS };
  }

  /** Sets the alarm for `state`, no earlier than `notBefore`, unless it is set for that time already. */
  private schedule(state: GenerationState, notBefore: number): void {
    const now = Date.now();
    const at = nextAlarmAt(state, now, this.scheduleOptions);
    const when = at === null ? null : Math.max(at, notBefore);
    if (when !== this.alarmSetFor) {
      const storage = this.ctx.storage;
      // Not awaited: the output gate holds every answer until the write is durable.
      const write = when === null ? storage.deleteAlarm() : storage.setAlarm(when);
      if (when !== null) this.store.meter.setAlarm();
      write.catch((error: unknown) =>
        logProblem({ event: "alarm.schedule_failed", generation: state.id, error: errorMessage(error) }),
      );
      this.alarmSetFor = when;
    }
    const settled =
      isTerminal(state.status) && !holdsSlot(state) && nextDeliveryAt(state.webhook) === null && !needsIndexSync(state);
    if (settled && !this.settled && !state.erasing) {
      logEvent(state, {
        event: "generation.settled",
        status: state.status,
        polls: state.upstream.polls,
        credits: state.upstream.credits ?? null,
        meter: this.store.meter.snapshot(),
        sqlite_bytes: this.ctx.storage.sql.databaseSize,
      });
    }
    this.settled = settled;
  }

  /** Reports the state to the client index when it has not acknowledged it yet; the outcome is applied. */
  private async syncIndex(): Promise<void> {
    const loaded = this.store.load();
    if (loaded === null || !needsIndexSync(loaded.state)) return;
    const options = { retention: this.config.retention, meter: this.store.meter };
    this.apply(await reportToIndex(this.env, loaded, options));
  }

  /** Finishes the erasure of a generation marked for it; false (logged) when a step failed and the alarm must retry. */
  private async erase(): Promise<boolean> {
    this.erasure ??= this.eraseMarked().finally(() => (this.erasure = null));
    try {
      await this.erasure;
      return true;
    } catch (error) {
      const generation = this.current()?.id ?? this.ctx.id.toString();
      logProblem({ event: "generation.erase_failed", generation, error: errorMessage(error) });
      return false;
    }
  }

  /**
   * Erases in two steps: what the generation keeps outside its object (R2,
   * its client-index row), then, once no upstream task of it is waited for
   * any more, its own storage. In between, only the accounting of that task
   * remains (the alarm keeps polling it; see lifecycle.ts onDrain).
   */
  private async eraseMarked(): Promise<void> {
    const marked = this.current();
    if (!marked?.erasing) return;
    this.watchers.closeAll();
    let deleted = 0;
    if (marked.erasing.outside !== true) {
      deleted = await eraseOutside(this.env, this.videos, marked, this.store.meter);
      this.apply({ type: "erased_outside" });
    }
    const state = this.current();
    if (!state?.erasing || holdsSlot(state)) return;
    await releaseSlot(this.env, state, this.store.meter);
    // The last figures this generation will have: its storage goes next.
    const event = state.erasing.reason === "purged" ? "generation.purged" : "generation.expired";
    const sqliteBytes = this.ctx.storage.sql.databaseSize;
    const meter = this.store.meter.snapshot();
    await this.store.erase();
    this.erased = true;
    this.alarmSetFor = null;
    logEvent(state, {
      event,
      status: state.status,
      r2_keys_deleted: deleted,
      credits: state.upstream.credits ?? null,
      sqlite_bytes: sqliteBytes,
      meter,
    });
  }

  // ---- reading --------------------------------------------------------------

  private current(): GenerationState | null {
    return this.store.load()?.state ?? null;
  }

  /** The state if it belongs to `clientId`; null otherwise, and for a generation being deleted. */
  private owned(clientId: string): GenerationState | null {
    const state = this.current();
    return state && state.clientId === clientId && !state.erasing ? state : null;
  }

  private async render(state: GenerationState): Promise<Generation> {
    const link = state.video ? await signedVideoLink(this.env, state, Date.now()) : null;
    return toGeneration(state, link, this.config.retention);
  }
}
