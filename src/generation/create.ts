/**
 * The create flow shared by the native and the upstream-compatible API:
 * webhook URL policy → reserve in the client index (idempotency, active
 * limit) → start the generation's Durable Object (which submits in its alarm).
 */
import { readConfig } from "../config.ts";
import { ApiError } from "../lib/errors.ts";
import { canonicalJson } from "../lib/http.ts";
import { hex } from "../lib/encoding.ts";
import { newGenerationId } from "../lib/ids.ts";
import { keyring } from "../lib/keyring.ts";
import { importWebhookSecret } from "../webhook/sign.ts";
import { checkWebhookUrl } from "../webhook/url-policy.ts";
import type { CreateGenerationRequest, Generation } from "./schema.ts";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "./schema.ts";

/** Suggested wait when a client has too many active generations. */
export const TOO_MANY_RETRY_AFTER_SECONDS = 30;

export interface CreateOutcome {
  generation: Generation;
  /** False when an Idempotency-Key replay returned an existing generation. */
  created: boolean;
}

export async function createGeneration(
  env: Env,
  clientId: string,
  request: CreateGenerationRequest,
  options: { idempotencyKey: string | null; requestOrigin: string },
): Promise<CreateOutcome> {
  const config = readConfig(env);
  const { idempotencyKey } = options;
  if (idempotencyKey !== null && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw new ApiError(
      400,
      "invalid_request",
      `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
      [
        {
          field: "Idempotency-Key",
          rule: "too_big",
          message: `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
        },
      ],
    );
  }
  let normalized = request;
  if (request.webhook_url !== undefined) {
    const check = checkWebhookUrl(request.webhook_url, { allowPrivate: config.webhookAllowPrivate });
    if (!check.ok) {
      throw new ApiError(400, "invalid_webhook_url", check.reason, [
        { field: "webhook_url", rule: "webhook_url_policy", message: check.reason },
      ]);
    }
    if (config.webhookSecret === null) {
      throw new ApiError(
        503,
        "not_configured",
        "WEBHOOK_SECRET is not set: webhooks cannot be signed, so webhook_url is refused",
      );
    }
    try {
      await importWebhookSecret(config.webhookSecret);
    } catch {
      // The reason names the format rule, never the secret; kept out of the answer anyway.
      throw new ApiError(
        503,
        "not_configured",
        "WEBHOOK_SECRET is not a valid whsec_ secret: webhooks cannot be signed, so webhook_url is refused",
      );
    }
    normalized = { ...request, webhook_url: check.url };
  }

  const id = await newGenerationId((await keyring(env)).idKey);
  const bodyHash = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(normalized))));
  const index = env.CLIENT_INDEX.getByName(clientId);
  const reserved = await index.reserve({
    id,
    createdAt: Date.now(),
    idempotencyKey,
    bodyHash,
    maxActive: config.maxActivePerKey,
  });
  switch (reserved.kind) {
    case "idempotency_conflict":
      throw new ApiError(422, "idempotency_key_reused", "This Idempotency-Key was used with a different body");
    case "too_many":
      throw new ApiError(
        429,
        "too_many_active",
        `This key has ${reserved.active} active generations (MAX_ACTIVE_PER_KEY is ${config.maxActivePerKey})`,
        undefined,
        { "Retry-After": String(TOO_MANY_RETRY_AFTER_SECONDS) },
      );
    case "existing": {
      // `start` is idempotent: if the first request died before starting the
      // object, this replay starts it with the same body.
      const generation = await env.GENERATION.getByName(reserved.id).start({
        id: reserved.id,
        clientId,
        request: normalized,
        requestOrigin: options.requestOrigin,
      });
      return { generation, created: false };
    }
    case "created": {
      const generation = await env.GENERATION.getByName(id).start({
        id,
        clientId,
        request: normalized,
        requestOrigin: options.requestOrigin,
      });
      return { generation, created: true };
    }
  }
}
