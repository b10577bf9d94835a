/**
 * The relay's words, as plain `as const` lists: everything else (the zod
 * schemas and the OpenAPI document, the lifecycle, webhooks, logs, the typed
 * client) imports them from here, so a status or an error code is written
 * down once. This module imports nothing. docs/api.md describes each word.
 */

/** A generation's status, in lifecycle order; the last three are terminal. */
export const GENERATION_STATUSES = ["queued", "generating", "storing", "completed", "failed", "canceled"] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/** Statuses a generation never leaves. */
const TERMINAL_STATUSES = ["completed", "failed", "canceled"] as const satisfies readonly GenerationStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export const isTerminal = (status: GenerationStatus): status is TerminalStatus =>
  (TERMINAL_STATUSES as readonly GenerationStatus[]).includes(status);

/** `error.code` of a failed generation. */
export const ERROR_CODES = [
  "timeout",
  "input_missing",
  "upstream_error",
  "upstream_rejected",
  "upstream_lost",
  "submit_uncertain",
  "download_failed",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a webhook can be asked to report (`webhook_events`); the webhook event's type is `generation.<name>`. */
export const WEBHOOK_EVENT_NAMES = ["started", "completed", "failed", "canceled"] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENT_NAMES)[number];
export type WebhookEventType = `generation.${WebhookEventName}`;

/** The type of the one event `POST /v1/webhooks/test` sends: no generation is involved. */
export const WEBHOOK_TEST_EVENT_TYPE = "webhook.test";

/** `webhook_events` when a create names none. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventName[] = ["completed", "failed", "canceled"];

/** `webhook.state` of a Generation: how delivery of its latest webhook event went. */
export const WEBHOOK_STATES = ["none", "pending", "delivered", "failed"] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_STATES)[number];

/** Which upstream a generation runs on, for life. */
export const UPSTREAM_ADAPTERS = ["aimlapi", "simulator"] as const;
export type UpstreamAdapter = (typeof UPSTREAM_ADAPTERS)[number];

/**
 * What serves new generations in this deployment (`GET /healthz`): an
 * adapter, or nothing (`not_configured`: no AIMLAPI_KEY and no SIMULATOR=true,
 * so a create answers 503 instead of silently simulating).
 */
export const UPSTREAM_MODES = [...UPSTREAM_ADAPTERS, "not_configured"] as const;
export type UpstreamMode = (typeof UPSTREAM_MODES)[number];

/**
 * What an upstream adapter reports a task to be, in the relay's words (each
 * adapter translates its vendor's own status words into these).
 */
export type UpstreamTaskState = "queued" | "running" | "completed" | "failed";

/** The model used when a create names none. */
export const DEFAULT_MODEL_ID = "alibaba/wan2.5-t2v-preview";

/** Any JSON value (interfaces, so the recursion is expanded lazily and RPC stub types stay finite). */
export type JsonValue = string | number | boolean | null | JsonArray | JsonObject;
interface JsonObject {
  [key: string]: JsonValue;
}
// An interface (not a type alias) so the recursion is expanded lazily.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
interface JsonArray extends Array<JsonValue> {}
