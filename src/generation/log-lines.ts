/**
 * The log lines an applied lifecycle event writes (src/lib/log.ts): a status
 * change, the failure's code, and each webhook attempt, read from the
 * transition alone. The steps write the lines only they know the figures of
 * (submission and copy times).
 */
import { logEvent } from "../lib/log.ts";
import type { JsonValue } from "../vocabulary.ts";
import type { TimelineEntry } from "./lifecycle.ts";
import type { GenerationState } from "./state.ts";

export function logTransition(
  before: GenerationState | null,
  after: GenerationState,
  timeline: readonly TimelineEntry[],
  now: number,
): void {
  if (before === null) {
    logEvent(
      after,
      { event: "generation.created", adapter: after.upstream.adapter, webhook: after.webhook !== null },
      now,
    );
  } else if (after.status !== before.status && after.erasing === undefined) {
    logEvent(
      after,
      { event: "generation.status", from: before.status, to: after.status, polls: after.upstream.polls },
      now,
    );
    if (after.status === "failed" && after.error) {
      logEvent(after, { event: "generation.failed", code: after.error.code, from: before.status }, now);
    }
  }
  for (const entry of timeline) {
    if (entry.type !== "webhook.attempt") continue;
    const { detail } = entry;
    logEvent(
      after,
      {
        event: "webhook.attempt",
        webhook_event: text(detail.event),
        attempt: typeof detail.attempt === "number" ? detail.attempt : null,
        http_status: typeof detail.status === "number" ? detail.status : null,
        ms: typeof detail.duration_ms === "number" ? detail.duration_ms : 0,
        outcome: text(detail.outcome),
        ...(typeof detail.error === "string" ? { error: detail.error } : {}),
      },
      now,
    );
  }
}

const text = (value: JsonValue | undefined): string => (typeof value === "string" ? value : "");
