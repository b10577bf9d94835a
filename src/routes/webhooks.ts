/**
 * The calling client's webhook signing secret (CONTRACT.md §5), mounted at
 * /v1: derived from WEBHOOK_SECRET and the client's name, so it is stable
 * across restarts and no client can sign for another.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { readConfig } from "../config.ts";
import { ApiError } from "../lib/errors.ts";
import { requireKey, type AppEnv } from "../lib/http.ts";
import { clientWebhookSecret } from "../webhook/client-secret.ts";
import { BEARER, json, nativeErrors } from "./common.ts";

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
