/**
 * The webhook attempts of one generation, run beside the alarm
 * (ctx.waitUntil) so a slow receiver never delays polling or storing. Which
 * message is due and what an attempt's outcome does to its retry series is
 * the reducer's (lifecycle events `webhook_leased` and `webhook_attempted`,
 * over the pure bookkeeping of webhook/delivery.ts); this module only
 * performs the HTTP requests (webhook/send.ts) and reports their outcomes.
 *
 * Each attempt holds a persisted lease: if the runtime dies mid-attempt the
 * lease runs out and the attempt is made again.
 */
import type { Config } from "../config.ts";
import { dueMessages, seriesOf } from "../webhook/delivery.ts";
import { sendWebhookAttempt } from "../webhook/send.ts";
import type { LifecycleEvent } from "./lifecycle.ts";
import type { Meter } from "./meter.ts";
import type { GenerationState } from "./state.ts";

/** Slack on top of the webhook timeout before an attempt in flight is presumed lost. */
export const WEBHOOK_LEASE_SLACK_MS = 30_000;

export interface DeliveryHost {
  readonly meter: Meter;
  config(): Config;
  load(): GenerationState | null;
  apply(event: LifecycleEvent): GenerationState | null;
  waitUntil(promise: Promise<unknown>): void;
  /** Called after an attempt's outcome is applied (the client index may need telling). */
  reported(): Promise<void>;
}

export class Deliveries {
  /**
   * Attempts this instance has in flight, by message and series. While it
   * lives, this (not the persisted lease, which only outlasts a dead runtime)
   * keeps one series from sending twice at once. Keyed by series so that an
   * attempt still in flight from an earlier series never holds back the
   * first attempt of a redelivery.
   */
  private readonly inFlight = new Set<string>();

  constructor(private readonly host: DeliveryHost) {}

  /** Starts every message due by `dueBy`, without awaiting the attempts. */
  startDue(dueBy: number): void {
    const { host } = this;
    const due = dueMessages(host.load()?.webhook ?? null, dueBy);
    if (due.length === 0) return;
    // A due message still in flight here (a slow receiver outlived its lease)
    // gets its lease extended rather than a second attempt.
    const until = Date.now() + host.config().webhookTimeoutMs + WEBHOOK_LEASE_SLACK_MS;
    const leased = host.apply({ type: "webhook_leased", msgIds: due.map((message) => message.msgId), until });
    if (!leased?.webhook) return;
    for (const message of due) {
      const series = seriesOf(message);
      const key = `${message.msgId}#${series}`;
      if (this.inFlight.has(key)) continue;
      this.inFlight.add(key);
      const attempt = { url: leased.webhook.url, msgId: message.msgId, body: message.body, clientId: leased.clientId };
      host.waitUntil(this.attempt(attempt, series).finally(() => this.inFlight.delete(key)));
    }
  }

  private async attempt(attempt: Parameters<typeof sendWebhookAttempt>[0], series: number): Promise<void> {
    const { host } = this;
    const config = host.config();
    const startedAt = Date.now();
    const idle = host.meter.busy(startedAt);
    const result = await sendWebhookAttempt(attempt, {
      masterSecret: config.webhookSecret,
      timeoutMs: config.webhookTimeoutMs,
    });
    idle();
    host.apply({ type: "webhook_attempted", msgId: attempt.msgId, series, result, startedAt });
    await host.reported();
  }
}
