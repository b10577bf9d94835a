/**
 * Webhook delivery bookkeeping, pure: which message is due, and what an
 * attempt's outcome does to the retry series (docs/api.md#webhooks). The
 * lifecycle reducer calls these; send.ts performs the HTTP request.
 */
import type { WebhookDeliveryState, WebhookEventName, WebhookEventType } from "../vocabulary.ts";

export type { WebhookEventType };
export type MessageState = "pending" | "delivered" | "failed";

export interface WebhookMessage {
  /** `webhook-id`: one per event, identical across retries and redeliveries. */
  msgId: string;
  type: WebhookEventType;
  /** The exact body sent on every attempt of this message. */
  body: string;
  state: MessageState;
  /** Attempts in the current retry series. */
  attempts: number;
  lastStatus: number | null;
  nextAttemptAt: number | null;
  /**
   * While an attempt is in flight: when it is given up for lost. Deliveries
   * run beside the alarm (they must not delay polling), so a runtime that dies
   * mid-attempt leaves only this lease, and the attempt is made again after it.
   */
  leaseUntil: number | null;
  /**
   * Which retry series this is: 1 for the first, one more per redelivery. An
   * attempt carries the series it was started in, so the late result of an
   * earlier series is never counted into the current one. Absent in messages
   * stored before series existed, which are series 1.
   */
  series?: number;
  /**
   * When the current series ended (delivered or failed): retention counts
   * from here. Null while pending; absent in messages stored before it
   * existed (then the generation's terminal time stands in).
   */
  endedAt?: number | null;
}

export interface WebhookState {
  url: string;
  events: WebhookEventName[];
  messages: WebhookMessage[];
}

export type AttemptResult =
  { kind: "response"; status: number; retryAfterMs: number | null } | { kind: "error"; reason: string };

export interface WebhookSummary {
  url: string;
  events: WebhookEventName[];
  state: WebhookDeliveryState;
  attempts: number;
  last_status: number | null;
  next_attempt_at: string | null;
}

export const seriesOf = (message: WebhookMessage): number => message.series ?? 1;

export function wantsEvent(webhook: WebhookState | null, event: WebhookEventName): webhook is WebhookState {
  return webhook !== null && webhook.events.includes(event);
}

export function enqueue(
  webhook: WebhookState,
  message: Pick<WebhookMessage, "msgId" | "type" | "body">,
  now: number,
): WebhookState {
  const fresh: WebhookMessage = {
    ...message,
    state: "pending",
    attempts: 0,
    lastStatus: null,
    nextAttemptAt: now,
    leaseUntil: null,
    series: 1,
  };
  return { ...webhook, messages: [...webhook.messages, fresh] };
}

/** When a pending message may next be attempted: its schedule, or the end of a lease in flight. */
function dueAt(message: WebhookMessage): number | null {
  if (message.state !== "pending" || message.nextAttemptAt === null) return null;
  return message.leaseUntil === null ? message.nextAttemptAt : Math.max(message.nextAttemptAt, message.leaseUntil);
}

/** The earliest time any message is due, or null when none is pending. */
export function nextDeliveryAt(webhook: WebhookState | null): number | null {
  let earliest: number | null = null;
  for (const message of webhook?.messages ?? []) {
    const at = dueAt(message);
    if (at !== null) earliest = earliest === null ? at : Math.min(earliest, at);
  }
  return earliest;
}

export function dueMessages(webhook: WebhookState | null, now: number): WebhookMessage[] {
  return (webhook?.messages ?? []).filter((message) => {
    const at = dueAt(message);
    return at !== null && at <= now;
  });
}

/** Marks an attempt as in flight until `until`. */
export function lease(webhook: WebhookState, msgId: string, until: number): WebhookState {
  return {
    ...webhook,
    messages: webhook.messages.map((message) =>
      message.msgId === msgId ? { ...message, leaseUntil: until } : message,
    ),
  };
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/**
 * Applies one attempt's outcome to the series it was started in. 2xx
 * delivers; 410 stops for good; anything else waits for the next delay of the
 * schedule (longer if Retry-After on 429/503 says so) and fails once the
 * schedule is used up. A result for a series that is no longer the pending
 * one (a redelivery started a new series meanwhile, or a duplicate attempt
 * after a lost lease) changes nothing: the same `webhook` is returned.
 */
export function recordAttempt(
  webhook: WebhookState,
  msgId: string,
  series: number,
  result: AttemptResult,
  now: number,
  scheduleMs: readonly number[],
): WebhookState {
  const index = webhook.messages.findIndex((message) => message.msgId === msgId);
  const original = webhook.messages[index];
  if (original === undefined || original.state !== "pending" || seriesOf(original) !== series) return webhook;
  const messages = [...webhook.messages];
  messages[index] = applyResult(original, result, now, scheduleMs);
  return { ...webhook, messages };
}

function applyResult(
  original: WebhookMessage,
  result: AttemptResult,
  now: number,
  scheduleMs: readonly number[],
): WebhookMessage {
  const attempts = original.attempts + 1;
  const message = { ...original, leaseUntil: null };
  const lastStatus = result.kind === "response" ? result.status : null;
  if (result.kind === "response" && isSuccess(result.status)) {
    return { ...message, attempts, lastStatus, state: "delivered", nextAttemptAt: null, endedAt: now };
  }
  if (result.kind === "response" && result.status === 410) {
    return { ...message, attempts, lastStatus, state: "failed", nextAttemptAt: null, endedAt: now };
  }
  const delay = scheduleMs[attempts - 1];
  if (delay === undefined) {
    return { ...message, attempts, lastStatus, state: "failed", nextAttemptAt: null, endedAt: now };
  }
  const honoured =
    result.kind === "response" && (result.status === 429 || result.status === 503) && result.retryAfterMs !== null
      ? Math.max(delay, result.retryAfterMs)
      : delay;
  return { ...message, attempts, lastStatus, nextAttemptAt: now + honoured };
}

const TERMINAL_TYPES: ReadonlySet<WebhookEventType> = new Set([
  "generation.completed",
  "generation.failed",
  "generation.canceled",
]);

export type RedeliverOutcome =
  | { kind: "ok"; webhook: WebhookState }
  /** The latest terminal event's series has not ended: it is still scheduled or in flight. */
  | { kind: "pending" }
  | { kind: "nothing_to_send" };

/**
 * Starts a fresh retry series for the latest terminal event, keeping its
 * `webhook-id`, once its current series has ended (delivered or failed).
 */
export function redeliver(
  webhook: WebhookState,
  now: number,
  /** Rewrites the message's body for the new series (e.g. its `data` with a freshly signed link). */
  refresh: (body: string) => string = (body) => body,
): RedeliverOutcome {
  const latest = [...webhook.messages].reverse().find((message) => TERMINAL_TYPES.has(message.type));
  if (!latest) return { kind: "nothing_to_send" };
  if (latest.state === "pending") return { kind: "pending" };
  const messages = webhook.messages.map((message): WebhookMessage =>
    message === latest
      ? {
          ...message,
          body: refresh(message.body),
          state: "pending",
          attempts: 0,
          lastStatus: null,
          nextAttemptAt: now,
          leaseUntil: null,
          series: seriesOf(message) + 1,
          endedAt: null,
        }
      : message,
  );
  return { kind: "ok", webhook: { ...webhook, messages } };
}

/** The `webhook` field of the public Generation: the latest event's delivery. */
export function summarize(webhook: WebhookState | null): WebhookSummary | null {
  if (webhook === null) return null;
  const latest = webhook.messages.at(-1);
  const pending = webhook.messages.some((message) => message.state === "pending");
  const nextAt = nextDeliveryAt(webhook);
  return {
    url: webhook.url,
    events: webhook.events,
    state: latest === undefined ? "none" : pending ? "pending" : latest.state,
    attempts: latest?.attempts ?? 0,
    last_status: latest?.lastStatus ?? null,
    next_attempt_at: nextAt === null ? null : new Date(nextAt).toISOString(),
  };
}
