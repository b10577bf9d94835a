/**
 * The create flow shared by the native and the upstream-compatible API, on
 * the Worker's side: webhook URL policy → create rate (create-rate.ts) →
 * data: URIs read → reserve in the client index (idempotency, active limit) →
 * data: URIs stored in R2 → start the generation's Durable Object (which
 * submits in its alarm).
 *
 * The body has been checked per model by the route's schema; `input` is the
 * model's fields exactly as sent (no defaults), a data: URI as its reference.
 */
import { MAX_IDEMPOTENCY_KEY_LENGTH, type CreateGenerationRequest, type Generation } from "../api/schemas.ts";
import { budgetFor, readConfig, upstreamMode } from "../config.ts";
import type { StartParams, StartResult } from "../generation/object.ts";
import { createdSummary } from "../generation/view.ts";
import { keyring } from "../keyring/keyring.ts";
import { hex } from "../lib/encoding.ts";
import { ApiError } from "../lib/errors.ts";
import { canonicalJson } from "../lib/http.ts";
import { newGenerationId } from "../lib/ids.ts";
import { monthEndsAt, utcMonth } from "../lib/months.ts";
import { prepareInlineMedia, storeInlineMedia, type StoredInput } from "../models/inline-media.ts";
import { resolveModel } from "../models/validate.ts";
import { adapterFor } from "../upstream/index.ts";
import { countCreate } from "./create-rate.ts";
import { DEFAULT_WEBHOOK_EVENTS, type JsonValue } from "../vocabulary.ts";
import { importWebhookSecret } from "../webhook/sign.ts";
import { checkWebhookUrl } from "../webhook/url-policy.ts";

/** Suggested wait when a client has too many active generations. */
const TOO_MANY_RETRY_AFTER_SECONDS = 30;

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
  assertUpstreamConfigured(env);
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
  const { webhook_url, webhook_events, metadata, model: modelName, ...fields } = request;
  // The route's schema has checked the fields against this model already.
  const lookup = resolveModel(modelName);
  if (!lookup.ok) throw new ApiError(400, "invalid_request", lookup.detail.message, [lookup.detail]);
  const model = lookup.model;

  let webhookUrl: string | null = null;
  if (webhook_url !== undefined) {
    const check = checkWebhookUrl(webhook_url, { allowPrivate: config.webhookAllowPrivate });
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
    webhookUrl = check.url;
  }

  // Counted once the request is known good (a refused body costs no create),
  // before the data: URIs are hashed and anything is reserved, stored or sent.
  await countCreate(env.CREATE_RATE, clientId);

  // data: URIs are read here (type, size, sha256) and stay in the Worker: the
  // object gets their references, and R2 their text (src/models/inline-media.ts).
  const { echo, media } = await prepareInlineMedia(model, fields);
  const input = echo as Record<string, JsonValue>;
  const createdAt = Date.now();
  const adapter = adapterFor(config);
  const params = (id: string, inlineMedia: StoredInput[]) =>
    ({
      id,
      clientId,
      model: model.id,
      input,
      inlineMedia,
      webhook: webhookUrl === null ? null : { url: webhookUrl, events: webhook_events ?? [...DEFAULT_WEBHOOK_EVENTS] },
      metadata: metadata ?? {},
      requestOrigin: options.requestOrigin,
      createdAt,
      adapter,
    }) satisfies StartParams;

  // The same generation whether the model is named or left to the default,
  // and whatever the order of the keys; a data: URI counts by its sha256.
  const identity = { model: model.id, input, webhook_url: webhookUrl, webhook_events, metadata };
  const bodyHash = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(identity))));
  const id = await newGenerationId((await keyring(env)).idKey);
  const index = env.CLIENT_INDEX.getByName(clientId);
  const month = utcMonth(createdAt);
  // The reservation lists the generation at once, as its object will create
  // it, so starting the object costs no second call to the index. Not with
  // data: URIs: the row would be listed while they are stored, before the
  // generation exists.
  const listed = media.length === 0;
  const reserved = await index.reserve({
    id,
    createdAt,
    idempotencyKey,
    bodyHash,
    maxActive: config.maxActivePerKey,
    budget: budgetFor(config.creditBudgets, clientId),
    month,
    summary: listed ? createdSummary(params(id, []), config.retention) : null,
  });
  switch (reserved.kind) {
    case "over_budget":
      throw budgetExceeded(reserved.budget, reserved.used, month);
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
    case "gone":
      throw gone();
    case "existing": {
      // `start` is idempotent: if the first request died before starting the
      // object, this replay stores the inputs again and starts it with the same
      // body; if the generation was deleted for good meanwhile, it stays deleted.
      const stub = env.GENERATION.getByName(reserved.id);
      const started = media.length === 0 || (await stub.probe()) !== null;
      const stored = started ? [] : await storeInlineMedia(env.VIDEOS, reserved.id, media);
      return {
        generation: startedGeneration(await stub.start(params(reserved.id, stored), { replay: true })),
        created: false,
      };
    }
    case "created": {
      // Stored before the object starts: its first alarm may submit at once.
      const stored = await storeInlineMedia(env.VIDEOS, id, media);
      const result = await env.GENERATION.getByName(id).start(params(id, stored), { replay: false, listed });
      return { generation: startedGeneration(result), created: true };
    }
  }
}

/**
 * No silent simulator (docs/api.md#the-simulator): without AIMLAPI_KEY a
 * deployment creates nothing unless SIMULATOR=true says test videos are
 * wanted. Generations already accepted keep their adapter and are untouched.
 */
function assertUpstreamConfigured(env: Env): void {
  if (upstreamMode(env) !== "not_configured") return;
  throw new ApiError(
    503,
    "not_configured",
    "AIMLAPI_KEY is not set: no generation can be created (set the AI/ML API key, or SIMULATOR=true for the built-in simulator's test video)",
  );
}

/** 402 (the upstream's own 403 on the compatible paths, as when its credits run out), naming the budget, the use and the reset. */
function budgetExceeded(budget: number, used: number, month: string): ApiError {
  const resetsAt = monthEndsAt(month);
  const message = `This key has used ${used} of its ${budget} upstream credits for ${month} (CREDIT_BUDGETS); the budget resets at ${resetsAt}`;
  const error = new ApiError(402, "budget_exceeded", message, [
    { field: "CREDIT_BUDGETS", rule: "budget", message, budget, used, resets_at: resetsAt },
  ]);
  error.compatStatus = 403;
  return error;
}

const gone = (): ApiError =>
  new ApiError(
    409,
    "idempotency_key_gone",
    "The generation this Idempotency-Key created has been deleted (purged, or its retention ran out); use a new key to create another",
  );

function startedGeneration(result: StartResult): Generation {
  if (result.kind === "gone") throw gone();
  return result.generation;
}
