/**
 * Webhook dispatch for one generation: turns lifecycle events into messages,
 * starts the attempts that are due, and records their outcomes. The retry
 * bookkeeping itself is pure (delivery.ts); the HTTP request is send.ts.
 *
 * Attempts run beside the alarm (ctx.waitUntil), so a slow receiver never
 * delays polling or storing. Each holds a persisted lease: if the runtime
 * dies mid-attempt the lease runs out and the attempt is made again.
 */
import type { Config } from "../config.ts";
import type { Generation, JsonValue, WebhookEventName } from "../generation/schema.ts";
import type { GenerationState } from "../generation/state.ts";
import type { GenerationStore } from "../generation/store.ts";
import { errorMessage } from "../lib/errors.ts";
import { logEvent } from "../lib/log.ts";
import { randomToken } from "../lib/ids.ts";
import {
  dueMessages,
  enqueue,
  lease,
  recordAttempt,
  seriesOf,
  wantsEvent,
  type AttemptResult,
  type WebhookEventType,
} from "./delivery.ts";
import { sendWebhook } from "./send.ts";
import { clientWebhookSecret } from "./client-secret.ts";
import { importWebhookSecret } from "./sign.ts";

/** Slack on top of the webhook timeout before an attempt in flight is presumed lost. */
export const WEBHOOK_LEASE_SLACK_MS = 30_000;

export interface DispatchHost {
  readonly store: GenerationStore;
  config(): Config;
  waitUntil(promise: Promise<unknown>): void;
  /** Sets the next alarm from the state just saved. */
  reschedule(): Promise<void>;
}

interface Attempt {
  url: string;
  clientId: string;
  msgId: string;
  series: number;
  type: WebhookEventType;
  body: string;
}

/** Adds one message per lifecycle event the webhook asked for; `data` is the Generation they carry. */
export function withWebhookEvents(
  state: GenerationState,
  events: readonly WebhookEventName[],
  data: Generation,
  now: number,
): GenerationState {
  let webhook = state.webhook;
  for (const name of events) {
    if (!wantsEvent(webhook, name)) continue;
    const type: WebhookEventType = `generation.${name}`;
    const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
    webhook = enqueue(webhook, { msgId: `msg_${randomToken(18)}`, type, body }, now);
  }
  return webhook === state.webhook ? state : { ...state, webhook };
}

/** The key this client's webhooks are signed with. The one place to change when each client gets its own. */
/** The owning client's own secret (client-secret.ts), so no client can sign for another's receiver. */
async function signingKey(config: Config, clientId: string): Promise<CryptoKey> {
  if (config.webhookSecret === null) throw new Error("WEBHOOK_SECRET is not set");
  return importWebhookSecret(await clientWebhookSecret(config.webhookSecret, clientId));
}

export class WebhookDispatcher {
  /**
   * Attempts this instance has in flight, by message and series. While it
   * lives, this (not the persisted lease, which only outlasts a dead runtime)
   * keeps one series from sending twice at once. Keyed by series so that an
   * attempt still in flight from an earlier series never holds back the
   * first attempt of a redelivery.
   */
  private readonly inFlight = new Set<string>();

  constructor(private readonly host: DispatchHost) {}

  /** Starts every message due by `dueBy`, without awaiting the attempts. */
  startDue(dueBy: number): void {
    const { store } = this.host;
    const state = store.load();
    if (!state?.webhook) return;
    const due = dueMessages(state.webhook, dueBy);
    if (due.length === 0) return;
    // A due message still in flight here (a slow receiver outlived its lease)
    // gets its lease extended rather than a second attempt.
    const leaseUntil = Date.now() + this.host.config().webhookTimeoutMs + WEBHOOK_LEASE_SLACK_MS;
    let webhook = state.webhook;
    for (const message of due) webhook = lease(webhook, message.msgId, leaseUntil);
    store.save({ ...state, webhook });
    for (const message of due) {
      const attempt: Attempt = {
        url: webhook.url,
        clientId: state.clientId,
        msgId: message.msgId,
        series: seriesOf(message),
        type: message.type,
        body: message.body,
      };
      const key = `${attempt.msgId}#${attempt.series}`;
      if (this.inFlight.has(key)) continue;
      this.inFlight.add(key);
      this.host.waitUntil(this.send(attempt).finally(() => this.inFlight.delete(key)));
    }
  }

  private async send(attempt: Attempt): Promise<void> {
    const config = this.host.config();
    const started = Date.now();
    const idle = this.host.store.meter.busy(started);
    let result: AttemptResult;
    try {
      const key = await signingKey(config, attempt.clientId);
      result = await sendWebhook(attempt.url, attempt, key, config.webhookTimeoutMs);
    } catch (error) {
      // A secret that cannot sign counts as a failed attempt, so the series
      // still ends (visibly failed) instead of retrying forever.
      result = { kind: "error", reason: errorMessage(error) };
    }
    const now = Date.now();
    const { store } = this.host;
    const state = store.load();
    idle();
    if (!state?.webhook) return;
    const { msgId, series } = attempt;
    const webhook = recordAttempt(state.webhook, msgId, series, result, now, config.webhookRetryScheduleMs);
    const counted = webhook !== state.webhook;
    const message = webhook.messages.find((m) => m.msgId === msgId);
    // An attempt of a series that has ended meanwhile is recorded, not counted.
    const number = counted ? (message?.attempts ?? 0) : null;
    const outcome = counted ? (message?.state ?? "pending") : "superseded";
    const detail: Record<string, JsonValue> = {
      webhook_id: msgId,
      event: attempt.type,
      series,
      attempt: number,
      duration_ms: now - started,
      outcome,
      next_attempt_at: counted && message?.nextAttemptAt ? new Date(message.nextAttemptAt).toISOString() : null,
    };
    if (result.kind === "response") detail.status = result.status;
    else detail.error = result.reason;
    if (counted) store.save({ ...state, webhook });
    store.appendTimeline(now, [{ type: "webhook.attempt", detail }]);
    logEvent(
      state,
      {
        event: "webhook.attempt",
        webhook_event: attempt.type,
        attempt: number,
        http_status: result.kind === "response" ? result.status : null,
        ms: now - started,
        outcome,
        ...(result.kind === "error" ? { error: result.reason } : {}),
      },
      now,
    );
    if (counted) await this.host.reschedule();
  }
}
