/**
 * `wan-relay/client`: a typed client for a wan-relay deployment's native API,
 * and a verifier for its webhooks. Runs in Node >= 18, Workers and browsers;
 * imports nothing of the Worker. docs/client.md shows it in use.
 */
export { WanRelay, POLL_INTERVAL_MS, REQUEST_TIMEOUT_MS } from "./wan-relay.ts";
export type { CreateOptions, RequestOptions, WaitOptions, WanRelayOptions } from "./wan-relay.ts";
export { CLIENT_ERROR_CODES, WanRelayError } from "./errors.ts";
export { isFinished } from "./follow-stream.ts";
export { Paginated, type CursorPage } from "./paginate.ts";
export { verifyWebhook, WEBHOOK_TOLERANCE_IN_SECONDS } from "./webhooks.ts";
export type { VerifyWebhookOptions, WebhookHeaders } from "./webhooks.ts";
// The document's own types (`paths`, `components`) and its enums as runtime lists (`generationStatusValues`, …).
export * from "./openapi.ts";
export type * from "./types.ts";
