/**
 * One Durable Object per generation: a thin shell around the pure lifecycle.
 * Every change goes load → reduce → persist → schedule, with no await in
 * between, so a request that runs while the alarm awaits a fetch (the input
 * gate opens there) always sees, and is seen by, a consistent state.
 *
 * The alarm is the only place that talks to the upstream. It is safe to run
 * twice: it decides from the persisted state, never from memory.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type Config } from "../config.ts";
import { randomToken } from "../lib/ids.ts";
import { signVideoLink, verifyVideoLink } from "../lib/link-signing.ts";
import { copyVideoToR2, videoKey, VIDEO_CONTENT_TYPE } from "../storage/copy-to-r2.ts";
import { adapterFor, createUpstream } from "../upstream/index.ts";
import { errorMessage } from "../lib/errors.ts";
import {
  dueMessages,
  enqueue,
  lease,
  nextDeliveryAt,
  recordAttempt,
  redeliver,
  type AttemptResult,
  wantsEvent,
  type WebhookEventType,
  type WebhookState,
} from "../webhook/delivery.ts";
import { sendWebhook } from "../webhook/send.ts";
import { importWebhookSecret } from "../webhook/sign.ts";
import { nextStep, reduce, type JsonValue, type LifecycleEvent, type TimelineNote } from "./lifecycle.ts";
import { DEFAULT_WEBHOOK_EVENTS, type CreateGenerationRequest, type Generation, type TimelineEvent } from "./schema.ts";
import { isTerminal, type GenerationState, type StoredVideo } from "./state.ts";
import { toGeneration } from "./view.ts";

export interface StartParams {
  id: string;
  clientId: string;
  request: CreateGenerationRequest;
  /** Origin of the creating request, for links when PUBLIC_BASE_URL is unset. */
  requestOrigin: string;
}

export type VideoAuth = { clientId: string } | { expires: string; signature: string };
export type VideoAccess =
  | { kind: "ok"; video: StoredVideo }
  | { kind: "not_found" }
  | { kind: "not_ready"; status: string }
  | { kind: "invalid_signature" }
  | { kind: "expired" };

export type CancelResult =
  { kind: "ok"; generation: Generation } | { kind: "not_found" } | { kind: "conflict"; status: string };
export type RedeliverResult =
  { kind: "ok"; generation: Generation } | { kind: "not_found" } | { kind: "nothing_to_send"; reason: string };

/** How long an index update that failed waits before the alarm tries again. */
const INDEX_RETRY_MS = 5_000;
/** Slack on top of the webhook timeout before an attempt in flight is presumed lost. */
const WEBHOOK_LEASE_SLACK_MS = 30_000;

export class GenerationObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /**
   * While an alarm runs: the time it was scheduled for. Alarms never fire
   * early in production, so there `now()` is the wall clock; a test that steps
   * alarms with runDurableObjectAlarm runs them early, and then each alarm
   * acts as if at its scheduled time, so tests step through real schedules
   * (poll intervals, backoff, the deadline) without waiting for them.
   */
  private alarmTime = 0;
  /**
   * True while this instance runs alarm(). The input gate opens while an
   * alarm awaits the upstream, and a newly due alarm can then be delivered;
   * it must not act on a step that is still in flight (a live submission
   * would look like one the runtime never finished).
   */
  private alarmRunning = false;
  /**
   * Deliveries this instance has in flight. While it lives, this (not the
   * persisted lease, which only outlasts a dead runtime) keeps a message
   * from being sent twice at once.
   */
  private readonly delivering = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS alarm (one INTEGER PRIMARY KEY CHECK (one = 1), at INTEGER NOT NULL)`);
    // The Generation as it was at each status change, for the SSE stream.
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY AUTOINCREMENT, generation TEXT NOT NULL)`,
    );
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS generation (one INTEGER PRIMARY KEY CHECK (one = 1), state TEXT NOT NULL)`,
    );
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, type TEXT NOT NULL, detail TEXT NOT NULL)`,
    );
  }

  private get config(): Config {
    return readConfig(this.env);
  }

  // ---- RPC methods (called by the Worker) ---------------------------------

  /** Creates the generation if this object is new; idempotent. Submission happens in the alarm. */
  async start(params: StartParams): Promise<Generation> {
    const existing = this.load();
    if (existing) return this.render(existing);
    const config = this.config;
    const now = this.now();
    const { request } = params;
    const { webhook_url, webhook_events, metadata, ...input } = request;
    const webhook: WebhookState | null = webhook_url
      ? { url: webhook_url, events: webhook_events ?? DEFAULT_WEBHOOK_EVENTS, messages: [] }
      : null;
    const state: GenerationState = {
      id: params.id,
      clientId: params.clientId,
      model: input.model,
      input,
      metadata: metadata ?? {},
      status: "queued",
      upstream: { adapter: adapterFor(config), id: null, status: null, polls: 0, lastOutcome: null },
      submit: { attempts: 0, inFlight: false },
      download: { url: null, attempts: 0, lastError: null },
      video: null,
      error: null,
      failures: 0,
      nextActionAt: now,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      deadlineAt: now + config.generationTimeoutMs,
      publicBaseUrl: params.requestOrigin,
      signingKey: randomToken(),
      webhook,
      indexedStatus: "queued",
    };
    const generation = await this.render(state);
    // Another start() may have run during that await (the same Idempotency-Key twice at once).
    const raced = this.load();
    if (raced) return this.render(raced);
    this.save(state);
    this.appendTimeline(now, [
      { type: "generation.created", detail: { upstream: state.upstream.adapter, webhook: webhook !== null } },
    ]);
    this.snapshot(generation);
    await this.scheduleAlarm(state);
    return generation;
  }

  /** The Generation at each status change after `afterSeq`, oldest first (for the SSE stream). */
  async changes(clientId: string, afterSeq: number): Promise<{ seq: number; generation: Generation }[] | null> {
    if (!this.owned(clientId)) return null;
    return this.sql
      .exec<{ seq: number; generation: string }>(
        `SELECT seq, generation FROM snapshots WHERE seq > ? ORDER BY seq`,
        afterSeq,
      )
      .toArray()
      .map((row) => ({ seq: row.seq, generation: JSON.parse(row.generation) as Generation }));
  }

  /** The status, or null if this object was never started (for the client index's reconciliation). */
  async probe(): Promise<Generation["status"] | null> {
    return this.load()?.status ?? null;
  }

  async get(clientId: string): Promise<Generation | null> {
    const state = this.owned(clientId);
    return state ? this.render(state) : null;
  }

  async events(clientId: string): Promise<TimelineEvent[] | null> {
    if (!this.owned(clientId)) return null;
    return this.sql
      .exec<{ at: number; type: string; detail: string }>(`SELECT at, type, detail FROM events ORDER BY seq`)
      .toArray()
      .map((row) => ({ at: new Date(row.at).toISOString(), type: row.type, detail: JSON.parse(row.detail) }));
  }

  async cancel(clientId: string): Promise<CancelResult> {
    const state = this.owned(clientId);
    if (!state) return { kind: "not_found" };
    if (isTerminal(state.status)) return { kind: "conflict", status: state.status };
    this.appendTimeline(this.now(), [{ type: "generation.cancel_requested", detail: {} }]);
    const next = await this.apply({ type: "cancel" });
    // The generation may have reached another terminal state meanwhile.
    if (next === null || next.status !== "canceled") return { kind: "conflict", status: next?.status ?? state.status };
    this.startDueDeliveries();
    return { kind: "ok", generation: await this.render(next) };
  }

  async redeliverWebhook(clientId: string): Promise<RedeliverResult> {
    const state = this.owned(clientId);
    if (!state) return { kind: "not_found" };
    if (!state.webhook) return { kind: "nothing_to_send", reason: "This generation has no webhook_url" };
    const now = this.now();
    const webhook = redeliver(state.webhook, now);
    if (!webhook) return { kind: "nothing_to_send", reason: "No terminal event has been sent yet" };
    const next = { ...state, webhook, updatedAt: now };
    this.save(next);
    this.appendTimeline(now, [{ type: "webhook.redeliver", detail: {} }]);
    await this.scheduleAlarm(next);
    this.startDueDeliveries();
    return { kind: "ok", generation: await this.render(next) };
  }

  async videoAccess(auth: VideoAuth): Promise<VideoAccess> {
    const state = this.load();
    if (!state) return { kind: "not_found" };
    if ("clientId" in auth) {
      if (state.clientId !== auth.clientId) return { kind: "not_found" };
    } else {
      const verdict = await verifyVideoLink(
        this.linkSecret(state),
        state.id,
        auth.expires,
        auth.signature,
        this.now() / 1000,
      );
      if (verdict === "invalid") return { kind: "invalid_signature" };
      if (verdict === "expired") return { kind: "expired" };
    }
    if (!state.video) return { kind: "not_ready", status: state.status };
    return { kind: "ok", video: state.video };
  }

  /** Whether this instance is inside alarm() right now (tests wait for it before stepping). */
  isAlarmRunning(): boolean {
    return this.alarmRunning;
  }

  // ---- the alarm ----------------------------------------------------------

  override async alarm(): Promise<void> {
    // One alarm at a time: the running one schedules the next when it ends.
    if (this.alarmRunning) return;
    this.alarmRunning = true;
    try {
      this.alarmTime = this.sql.exec<{ at: number }>(`SELECT at FROM alarm`).toArray()[0]?.at ?? 0;
      await this.apply({ type: "tick" });
      const state = this.load();
      if (!state) return;
      const step = nextStep(state);
      if (step !== null && state.nextActionAt !== null && state.nextActionAt <= this.now()) {
        try {
          if (step === "submit") await this.submit(state);
          else if (step === "poll") await this.poll(state);
          else await this.store(state);
        } catch (error) {
          // Expected failures are outcomes, never throws: this is a bug. Log it,
          // and let the generation carry on from its stored state after a
          // backoff rather than lose it to the runtime's limited alarm retries.
          console.error(
            JSON.stringify({ message: "alarm step failed", generation: state.id, step, error: errorMessage(error) }),
          );
          await this.apply({ type: "step_crashed", reason: `${step}: ${errorMessage(error)}` });
        }
      }
      this.startDueDeliveries();
      await this.syncIndex();
      const latest = this.load();
      if (latest) await this.scheduleAlarm(latest);
    } finally {
      this.alarmRunning = false;
    }
  }

  private async submit(state: GenerationState): Promise<void> {
    // Persisted before the request leaves (the output gate holds the fetch
    // until the write is durable): if the runtime dies mid-request, the next
    // alarm finds `inFlight` and fails with submit_uncertain instead of paying twice.
    await this.apply({ type: "submit_started" });
    const outcome = await this.upstream(state).submit(state.input);
    await this.apply({ type: "submitted", outcome });
  }

  private async poll(state: GenerationState): Promise<void> {
    if (state.upstream.id === null) return;
    const outcome = await this.upstream(state).poll(state.upstream.id);
    await this.apply({ type: "polled", outcome });
  }

  private async store(state: GenerationState): Promise<void> {
    const url = state.download.url;
    if (url === null) return;
    this.appendTimeline(this.now(), [{ type: "storage.started", detail: { attempt: state.download.attempts + 1 } }]);
    const result = await this.upstream(state).download(url);
    if (result.kind === "failed") {
      await this.apply({
        type: "store_failed",
        reason: result.reason,
        ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
      });
      return;
    }
    // A cancel may have run while the download started.
    if (this.load()?.status !== "storing") {
      await result.download.body.cancel();
      return;
    }
    const key = videoKey(state.id);
    try {
      const copied = await copyVideoToR2(this.env.VIDEOS, key, result.download);
      const after = await this.apply({ type: "stored", video: { key, ...copied, contentType: VIDEO_CONTENT_TYPE } });
      // Canceled during the copy: the bytes belong to nobody.
      if (after && after.status !== "completed") await this.env.VIDEOS.delete(key);
    } catch (error) {
      await this.apply({ type: "store_failed", reason: errorMessage(error) });
    }
  }

  private upstream(state: GenerationState) {
    return createUpstream(state.upstream.adapter, this.config);
  }

  // ---- webhooks -----------------------------------------------------------

  /**
   * Starts every due delivery without awaiting it, so a slow receiver never
   * delays polling or storing. Each attempt holds a persisted lease; if the
   * runtime dies mid-attempt the lease expires and the alarm tries again.
   */
  private startDueDeliveries(): void {
    const state = this.load();
    if (!state?.webhook) return;
    const now = this.now();
    const due = dueMessages(state.webhook, now);
    if (due.length === 0) return;
    // Due messages still in flight here (a slow receiver outlived its lease)
    // get their lease extended rather than a second attempt.
    let webhook = state.webhook;
    const leaseUntil = now + this.config.webhookTimeoutMs + WEBHOOK_LEASE_SLACK_MS;
    for (const message of due) webhook = lease(webhook, message.msgId, leaseUntil);
    this.save({ ...state, webhook });
    for (const message of due) {
      if (this.delivering.has(message.msgId)) continue;
      this.delivering.add(message.msgId);
      const delivery = this.deliver(webhook.url, message.msgId, message.body, message.type).finally(() =>
        this.delivering.delete(message.msgId),
      );
      this.ctx.waitUntil(delivery);
    }
  }

  private async deliver(url: string, msgId: string, body: string, type: WebhookEventType): Promise<void> {
    const config = this.config;
    const started = this.now();
    let result: AttemptResult;
    try {
      if (config.webhookSecret === null) throw new Error("WEBHOOK_SECRET is not set");
      const key = await importWebhookSecret(config.webhookSecret);
      result = await sendWebhook(url, { msgId, body }, key, config.webhookTimeoutMs);
    } catch (error) {
      // A secret that cannot sign counts as a failed attempt, so the series
      // still ends (visibly failed) instead of retrying forever.
      result = { kind: "error", reason: errorMessage(error) };
    }
    const now = this.now();
    const state = this.load();
    if (!state?.webhook) return;
    const webhook = recordAttempt(state.webhook, msgId, result, now, config.webhookRetryScheduleMs);
    const message = webhook.messages.find((m) => m.msgId === msgId);
    const next = { ...state, webhook };
    this.save(next);
    const detail: Record<string, JsonValue> = {
      webhook_id: msgId,
      event: type,
      attempt: message?.attempts ?? 0,
      duration_ms: now - started,
      outcome: message?.state ?? "pending",
      next_attempt_at: message?.nextAttemptAt ? new Date(message.nextAttemptAt).toISOString() : null,
    };
    if (result.kind === "response") detail.status = result.status;
    else detail.error = result.reason;
    this.appendTimeline(now, [{ type: "webhook.attempt", detail }]);
    await this.scheduleAlarm(next);
  }

  // ---- persistence and the shell's one transition path --------------------

  /** Applies one lifecycle event: load → reduce → enqueue webhooks → persist → schedule. */
  private async apply(event: LifecycleEvent): Promise<GenerationState | null> {
    const before = this.load();
    if (!before) return null;
    const now = this.now();
    // Async work (signing the link) happens before the synchronous section,
    // and only when a rendered Generation can carry a video.
    const link = before.video !== null || event.type === "stored" ? await this.signedLink(before, now) : null;
    const state = this.load();
    if (!state) return null;
    const transition = reduce(state, event, { now, pollIntervalMs: this.config.pollIntervalMs });
    let next = transition.state;
    for (const name of transition.notify) {
      if (!wantsEvent(next.webhook, name)) continue;
      const type: WebhookEventType = `generation.${name}`;
      const data = toGeneration(next, next.video ? link : null);
      const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
      next = { ...next, webhook: enqueue(next.webhook, { msgId: `msg_${randomToken(18)}`, type, body }, now) };
    }
    if (next !== state) this.save(next);
    this.appendTimeline(now, transition.timeline);
    if (next.status !== state.status) this.snapshot(toGeneration(next, next.video ? link : null));
    await this.scheduleAlarm(next);
    if (next.status !== next.indexedStatus) await this.syncIndex();
    return this.load();
  }

  /** Tells the client index about a status change; retried by the alarm when it fails. */
  private async syncIndex(): Promise<void> {
    const state = this.load();
    if (!state || state.status === state.indexedStatus) return;
    const status = state.status;
    try {
      await this.env.CLIENT_INDEX.getByName(state.clientId).setStatus(state.id, status);
    } catch (error) {
      console.warn(
        JSON.stringify({ message: "client index update failed", generation: state.id, error: errorMessage(error) }),
      );
      return;
    }
    const latest = this.load();
    if (latest) this.save({ ...latest, indexedStatus: status });
  }

  private async scheduleAlarm(state: GenerationState): Promise<void> {
    const candidates: number[] = [];
    if (nextStep(state) !== null && state.nextActionAt !== null) candidates.push(state.nextActionAt);
    if (!isTerminal(state.status)) candidates.push(state.deadlineAt);
    const delivery = nextDeliveryAt(state.webhook);
    if (delivery !== null) candidates.push(delivery);
    if (state.status !== state.indexedStatus) candidates.push(this.now() + INDEX_RETRY_MS);
    if (candidates.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const at = Math.max(Math.min(...candidates), this.now());
    this.sql.exec(`INSERT OR REPLACE INTO alarm (one, at) VALUES (1, ?)`, at);
    await this.ctx.storage.setAlarm(at);
  }

  private now(): number {
    return Math.max(Date.now(), this.alarmTime);
  }

  private load(): GenerationState | null {
    const row = this.sql.exec<{ state: string }>(`SELECT state FROM generation WHERE one = 1`).toArray()[0];
    return row ? (JSON.parse(row.state) as GenerationState) : null;
  }

  private save(state: GenerationState): void {
    this.sql.exec(`INSERT OR REPLACE INTO generation (one, state) VALUES (1, ?)`, JSON.stringify(state));
  }

  private appendTimeline(now: number, notes: TimelineNote[]): void {
    for (const note of notes) {
      this.sql.exec(
        `INSERT INTO events (at, type, detail) VALUES (?, ?, ?)`,
        now,
        note.type,
        JSON.stringify(note.detail),
      );
    }
  }

  private snapshot(generation: Generation): void {
    this.sql.exec(`INSERT INTO snapshots (generation) VALUES (?)`, JSON.stringify(generation));
  }

  private owned(clientId: string): GenerationState | null {
    const state = this.load();
    return state && state.clientId === clientId ? state : null;
  }

  private linkSecret(state: GenerationState): string {
    return this.config.urlSigningSecret ?? state.signingKey;
  }

  private async signedLink(state: GenerationState, now: number): Promise<string> {
    const expires = Math.floor(now / 1000) + this.config.videoUrlTtlSeconds;
    const signature = await signVideoLink(this.linkSecret(state), state.id, expires);
    const base = this.config.publicBaseUrl ?? state.publicBaseUrl;
    return `${base}/v1/generations/${state.id}/video?expires=${expires}&signature=${signature}`;
  }

  private async render(state: GenerationState): Promise<Generation> {
    return toGeneration(state, state.video ? await this.signedLink(state, this.now()) : null);
  }
}
