/**
 * Webhooks as the API shows them, mounted at /v1: the calling client's
 * signing secret (derived from WEBHOOK_SECRET and the client's name, so it is
 * stable across restarts and no client can sign for another), a test send,
 * and the events themselves in the OpenAPI document's `webhooks`
 * (docs/api.md#webhooks).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  GENERATION_EVENT_SCHEMAS,
  WebhookHeadersSchema,
  WebhookTestEventSchema,
  WebhookTestRequestSchema,
  WebhookTestResultSchema,
} from "../api/schemas.ts";
import { readConfig, type Config } from "../config.ts";
import { hex } from "../lib/encoding.ts";
import { ApiError } from "../lib/errors.ts";
import { jsonBody, limitBody, requireKey, type AppEnv } from "../lib/http.ts";
import { WEBHOOK_TEST_EVENT_TYPE } from "../vocabulary.ts";
import { clientWebhookSecret } from "../webhook/client-secret.ts";
import type { AttemptResult } from "../webhook/delivery.ts";
import { sendWebhookAttempt } from "../webhook/send.ts";
import { importWebhookSecret } from "../webhook/sign.ts";
import { checkWebhookUrl } from "../webhook/url-policy.ts";
import { BEARER, json, NO_AUTH, nativeErrors } from "./common.ts";

export const webhooks = new OpenAPIHono<AppEnv>();

const WebhookSecretSchema = z
  .object({ key: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }) })
  .openapi("WebhookSecret");

export const getWebhookSecretRoute = createRoute({
  tags: ["Webhooks"],
  method: "get",
  path: "/webhooks/secret",
  summary: "This key's webhook signing secret (verify webhooks with it)",
  security: BEARER,
  middleware: [requireKey],
  responses: {
    200: json(WebhookSecretSchema, "The calling client's own `whsec_` secret"),
    ...nativeErrors([401, 503], { 503: "RELAY_API_KEYS or WEBHOOK_SECRET is not set, or WEBHOOK_SECRET cannot sign" }),
  },
});

webhooks.openapi(getWebhookSecretRoute, async (c) => {
  const master = readConfig(c.env).webhookSecret;
  if (master === null) {
    throw new ApiError(503, "not_configured", "WEBHOOK_SECRET is not set: webhooks cannot be signed");
  }
  let key: string;
  try {
    key = await clientWebhookSecret(master, c.var.clientId);
  } catch {
    // The reason names the format rule, never the secret; kept out of the answer anyway.
    throw new ApiError(503, "not_configured", "WEBHOOK_SECRET is not a valid whsec_ secret: webhooks cannot be signed");
  }
  return c.json({ key }, 200);
});

export const testWebhookRoute = createRoute({
  tags: ["Webhooks"],
  method: "post",
  path: "/webhooks/test",
  summary: "Send one signed webhook.test event to a URL, and answer how that attempt went",
  description:
    "Signed with this key's own secret, under the same URL policy as a generation's `webhook_url`, sent once " +
    "(never retried), with the same timeout (WEBHOOK_TIMEOUT_SECONDS); no generation is created. The body is a " +
    "`WebhookTestEvent` (see the webhooks of this document).",
  security: BEARER,
  middleware: [requireKey, limitBody, jsonBody],
  request: { body: { required: true, content: { "application/json": { schema: WebhookTestRequestSchema } } } },
  responses: {
    200: json(WebhookTestResultSchema, "The attempt was made: its status (or why there was none) and duration"),
    ...nativeErrors([400, 401, 413, 415, 503], {
      400: "`url` is missing or not a string (invalid_request), or the URL policy refuses it (invalid_webhook_url)",
      503: "RELAY_API_KEYS or WEBHOOK_SECRET is not set, or WEBHOOK_SECRET cannot sign",
    }),
  },
});

webhooks.openapi(testWebhookRoute, async (c) => {
  const config = readConfig(c.env);
  const check = checkWebhookUrl(c.req.valid("json").url, { allowPrivate: config.webhookAllowPrivate });
  if (!check.ok) {
    // The policy words its reasons for a generation's webhook_url; here the field is `url`.
    const reason = check.reason.replace(/^webhook_url\b/, "url");
    throw new ApiError(400, "invalid_webhook_url", reason, [
      { field: "url", rule: "webhook_url_policy", message: reason },
    ]);
  }
  await assertCanSign(config);
  const body = JSON.stringify({
    type: WEBHOOK_TEST_EVENT_TYPE,
    timestamp: new Date().toISOString(),
    data: { url: check.url, message: "A test event from wan-relay: no generation is involved" },
  });
  const msgId = `msg_test_${hex(crypto.getRandomValues(new Uint8Array(16)))}`;
  const startedAt = Date.now();
  const result = await sendWebhookAttempt(
    { url: check.url, msgId, body, clientId: c.var.clientId },
    { masterSecret: config.webhookSecret, timeoutMs: config.webhookTimeoutMs },
  );
  const duration_ms = Date.now() - startedAt;
  const error = attemptError(result);
  const status = result.kind === "response" ? result.status : null;
  return c.json({ status, duration_ms, ...(error === null ? {} : { error }) }, 200);
});

/** 503 before anything is sent when webhooks cannot be signed (the reason names the rule, never the secret). */
async function assertCanSign(config: Config): Promise<void> {
  if (config.webhookSecret === null) {
    throw new ApiError(503, "not_configured", "WEBHOOK_SECRET is not set: webhooks cannot be signed");
  }
  try {
    await importWebhookSecret(config.webhookSecret);
  } catch {
    throw new ApiError(503, "not_configured", "WEBHOOK_SECRET is not a valid whsec_ secret: webhooks cannot be signed");
  }
}

/** Why a webhook would count this attempt as failed (docs/api.md#delivery), or null when it would be delivered. */
function attemptError(result: AttemptResult): string | null {
  if (result.kind === "error") return result.reason;
  const { status } = result;
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400)
    return `the receiver answered ${status}: redirects are not followed, so a webhook would count this attempt as failed`;
  if (status === 410) return "the receiver answered 410: a webhook's delivery would stop there";
  return `the receiver answered ${status}: a webhook would be retried on the schedule`;
}

const WEBHOOK_RESPONSES = {
  "2XX": { description: "Delivered: the series ends" },
  "410": { description: "Gone: delivery of this event stops, `webhook.state` becomes failed" },
  default: {
    description:
      "Anything else, a timeout (WEBHOOK_TIMEOUT_SECONDS), a network error or a redirect (not followed): " +
      "retried per WEBHOOK_RETRY_SCHEDULE_SECONDS; Retry-After on 429 and 503 is honoured when longer",
  },
} as const;

/** Each generation event: a short summary (the list of webhooks shows it), then when exactly it is sent. */
const EVENTS: Record<(typeof GENERATION_EVENT_SCHEMAS)[number]["type"], { summary: string; when: string }> = {
  "generation.started": {
    summary: "The upstream started working on the generation",
    when: "The upstream first reports it is working on the generation (only when `webhook_events` lists `started`).",
  },
  "generation.completed": {
    summary: "The video is stored",
    when: "The video is stored; `data.video.url` is a signed link to it.",
  },
  "generation.failed": { summary: "The generation failed", when: "The generation failed; `data.error.code` says why." },
  "generation.canceled": {
    summary: "The generation was canceled",
    when: "The generation was canceled (`DELETE /v1/generations/{id}`).",
  },
};

/**
 * The events in the OpenAPI document's `webhooks` (3.1): each type with its
 * body and the three signature headers. Registered on the root app, since a
 * mounted sub-app's webhooks would get its path prefix as their name.
 */
export function documentWebhookEvents(registry: OpenAPIHono["openAPIRegistry"]): void {
  const common =
    " Sent as a signed POST (Standard Webhooks) to the generation's `webhook_url`; verify it with the creating key's " +
    "secret (`GET /v1/webhooks/secret`). At least once: de-duplicate on `webhook-id`.";
  for (const { type, schema } of GENERATION_EVENT_SCHEMAS) {
    registry.registerWebhook({
      tags: ["Webhooks"],
      method: "post",
      path: type,
      summary: EVENTS[type].summary,
      description: EVENTS[type].when + common,
      security: NO_AUTH,
      request: {
        headers: WebhookHeadersSchema,
        body: { required: true, content: { "application/json": { schema } } },
      },
      responses: WEBHOOK_RESPONSES,
    });
  }
  registry.registerWebhook({
    tags: ["Webhooks"],
    method: "post",
    path: WEBHOOK_TEST_EVENT_TYPE,
    summary: "A test event, sent on demand by POST /v1/webhooks/test",
    description:
      "Sent once, only by `POST /v1/webhooks/test`, to the URL it names, signed with the calling key's secret; " +
      "no generation is involved, and the answer is reported to that call instead of being retried.",
    security: NO_AUTH,
    request: {
      headers: WebhookHeadersSchema,
      body: { required: true, content: { "application/json": { schema: WebhookTestEventSchema } } },
    },
    responses: { "2XX": { description: "Received" }, default: { description: "Reported in the test call's `error`" } },
  });
}
