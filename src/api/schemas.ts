/**
 * The public shapes of the HTTP API: request and response schemas. The same
 * zod objects validate requests and generate the OpenAPI document, so the two
 * cannot drift; their enums are built from the relay's words (vocabulary.ts).
 */
// z from @hono/zod-openapi: zod itself, extended with `.openapi()` (component names, docs).
import { z } from "@hono/zod-openapi";
import { GENERATION_ID_PATTERN } from "../lib/ids.ts";
import type { ErrorDetail } from "../lib/errors.ts";
import { checkModelInput } from "../models/validate.ts";
import {
  DEFAULT_MODEL_ID,
  ERROR_CODES,
  GENERATION_STATUSES,
  UPSTREAM_ADAPTERS,
  WEBHOOK_EVENT_NAMES,
  WEBHOOK_STATES,
  WEBHOOK_TEST_EVENT_TYPE,
  type JsonValue,
  type WebhookEventName,
} from "../vocabulary.ts";

const MAX_METADATA_BYTES = 2048;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const WebhookEventNameSchema = z.enum(WEBHOOK_EVENT_NAMES);

/**
 * The relay's own fields of a create body. Everything else in the body is
 * the model's input, checked per model by the catalogue (src/models/): the
 * route's body schema is these fields plus that check, so one validation
 * hook answers both, and the OpenAPI document points at `GET /v1/models/{id}`
 * for each model's fields.
 */
const ModelIdSchema = z.string({ error: "must be a string" }).openapi({
  description: `The model (GET /v1/models lists them); default "${DEFAULT_MODEL_ID}"`,
  // An annotation only (the relay adds no default to the echoed input): clients read the default model here.
  default: DEFAULT_MODEL_ID,
  example: DEFAULT_MODEL_ID,
});

/**
 * A JSON object. Documented as an object of any JSON values: zod's recursive
 * JSON schema has no finite OpenAPI rendering the generator gets right.
 */
const JsonObjectSchema = z.record(z.string(), z.json()).openapi({ type: "object", additionalProperties: true });

const MetadataSchema = z
  .record(z.string(), z.json(), { error: "must be a JSON object" })
  .refine((value) => new TextEncoder().encode(JSON.stringify(value)).byteLength <= MAX_METADATA_BYTES, {
    error: `must be at most ${MAX_METADATA_BYTES} bytes when serialized`,
  })
  .openapi({
    type: "object",
    additionalProperties: true,
    description: `Any JSON object, at most ${MAX_METADATA_BYTES} bytes serialized; echoed in the generation and its webhooks`,
  });

const WebhookUrlSchema = z.string({ error: "must be a string" }).openapi({
  description: "Where to POST the signed webhooks (https, a public host)",
});

const MODEL_FIELDS_DESCRIPTION =
  "Any other field is an input field of the chosen model, under the name its published schema uses; " +
  "GET /v1/models/{model} gives them as a JSON Schema (types, allowed values, bounds, required, media). " +
  "A media field takes an http(s) URL or a base64 data: URI (at most MAX_INLINE_MEDIA_BYTES decoded).";

/** The relay's fields that are not the model's: everything else in the body goes to the catalogue check. */
const NATIVE_RELAY_FIELDS = ["webhook_url", "webhook_events", "metadata"] as const;
const COMPAT_RELAY_FIELDS = ["webhook_url"] as const;

/**
 * The per-model check of a create body (the fields other than `relayFields`),
 * as zod issues that carry the catalogue's `{field, rule, message}` detail
 * (src/lib/http.ts `describeIssues` reports them as they are). It also runs
 * when a relay field failed, so every offending field is reported at once.
 */
function checkModelFields(relayFields: readonly string[]) {
  return (body: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return;
    // A non-string model is already reported by the relay field's own schema.
    if (body["model"] !== undefined && typeof body["model"] !== "string") return;
    const modelBody: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body)) if (!relayFields.includes(name)) modelBody[name] = value;
    const checked = checkModelInput(modelBody);
    const found = checked.ok ? [] : checked.details;
    const blank = found.some((detail) => detail.field === "prompt") ? [] : blankPrompt(modelBody);
    const details = [...found, ...blank];
    for (const detail of details) {
      ctx.addIssue({ code: "custom", path: detail.field.split("."), message: detail.message, params: { detail } });
    }
  };
}

/** The relay's own rule on top of the catalogue: a prompt, when given, is not whitespace only. */
function blankPrompt(input: Readonly<Record<string, unknown>>): ErrorDetail[] {
  const prompt = input["prompt"];
  if (typeof prompt !== "string" || prompt.length === 0 || prompt.trim().length > 0) return [];
  return [{ field: "prompt", rule: "blank", message: "prompt must not be blank" }];
}

/** Run the per-model check on any object, even when a relay field has failed (zod skips it otherwise). */
const RUN_WITH_OTHER_ISSUES = {
  when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null,
};

const createExample = { model: DEFAULT_MODEL_ID, prompt: "A raccoon eats ice cream", resolution: "720p" };

/** `POST /v1/generations`: the relay's fields, and the model's fields checked per model. */
export const CreateGenerationSchema = z
  .object({
    model: ModelIdSchema.optional(),
    webhook_url: WebhookUrlSchema.optional(),
    webhook_events: z
      .array(WebhookEventNameSchema, { error: 'must be an array of "started", "completed", "failed", "canceled"' })
      .optional()
      .openapi({ description: 'Default ["completed", "failed", "canceled"]' }),
    metadata: MetadataSchema.optional(),
  })
  .catchall(z.unknown())
  .superRefine(checkModelFields(NATIVE_RELAY_FIELDS), RUN_WITH_OTHER_ISSUES)
  .openapi("CreateGeneration", {
    description: MODEL_FIELDS_DESCRIPTION,
    additionalProperties: true,
    example: createExample,
  });
export interface CreateGenerationRequest {
  model?: string;
  webhook_url?: string;
  webhook_events?: WebhookEventName[];
  metadata?: Record<string, JsonValue>;
  /** The model's fields, checked per model by the catalogue. */
  [field: string]: unknown;
}

/**
 * The upstream-compatible create body (docs/api.md#compatible-api): the model's fields
 * as the AI/ML API takes them, plus `webhook_url`.
 */
export const CompatCreateSchema = z
  .object({ model: ModelIdSchema.optional(), webhook_url: WebhookUrlSchema.optional() })
  .catchall(z.unknown())
  .superRefine(checkModelFields(COMPAT_RELAY_FIELDS), RUN_WITH_OTHER_ISSUES)
  .openapi("CompatCreate", {
    description: MODEL_FIELDS_DESCRIPTION,
    additionalProperties: true,
    example: createExample,
  });

const GenerationStatusSchema = z.enum(GENERATION_STATUSES).openapi("GenerationStatus");

export const ListQuerySchema = z.object({
  limit: z.coerce
    .number({ error: "must be an integer" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be between 1 and 100" })
    .max(100, { error: "must be between 1 and 100" })
    .default(20),
  cursor: z.string().max(200, { error: "is not a valid cursor" }).optional(),
  status: GenerationStatusSchema.optional(),
});
// Not strict: unknown query parameters (cache busters, tracking) are ignored, as is usual for GET.

const ErrorCodeSchema = z.enum(ERROR_CODES);

/** The public Generation object (docs/api.md#the-generation-object). */
export const GenerationSchema = z
  .object({
    id: z.string(),
    object: z.literal("generation"),
    model: z.string(),
    status: GenerationStatusSchema,
    input: JsonObjectSchema.openapi({
      description:
        "The model's fields as the caller sent them (the relay adds no defaults); a data: URI is echoed as " +
        '{type: "data_uri", media_type, bytes, sha256}',
    }),
    upstream: z.object({
      id: z.string().nullable(),
      status: z.string().nullable().openapi({ description: "The upstream's own status word at the last poll" }),
      polls: z.number().int(),
      adapter: z.enum(UPSTREAM_ADAPTERS).openapi({
        description: "Which upstream runs it: the AI/ML API, or the built-in simulator (a sample video, no cost)",
      }),
      credits: z.number().nullable().openapi({
        description: "What the upstream says the task costs, in its credits (meta.usage.tokens_used); null until told",
      }),
    }),
    video: z
      .object({ url: z.string(), content_type: z.string(), bytes: z.number().int(), sha256: z.string() })
      .nullable(),
    error: z.object({ code: ErrorCodeSchema, message: z.string() }).nullable(),
    webhook: z
      .object({
        url: z.string(),
        events: z.array(WebhookEventNameSchema),
        state: z.enum(WEBHOOK_STATES),
        attempts: z.number().int(),
        last_status: z.number().int().nullable(),
        next_attempt_at: z.string().nullable(),
      })
      .nullable(),
    metadata: JsonObjectSchema,
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable().openapi({
      description:
        "When the generation reached its terminal status (completed, failed or canceled); null until then, and never null after",
    }),
    expires_at: z.string().nullable().openapi({
      description:
        "When retention (RETENTION_SECONDS) will delete this generation; null while it runs, while a webhook of it is pending, and when retention is off",
    }),
  })
  .openapi("Generation");
/** Input and metadata are typed with our own JSON type: zod's is too deep for the typing of Durable Object RPC stubs. */
export type Generation = Omit<z.infer<typeof GenerationSchema>, "metadata" | "input"> & {
  input: Record<string, JsonValue>;
  metadata: Record<string, JsonValue>;
};

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z
        .array(
          z.object({
            field: z.string(),
            rule: z.string(),
            message: z.string(),
            budget: z.number().optional().openapi({ description: "budget_exceeded: the monthly budget" }),
            used: z.number().optional().openapi({ description: "budget_exceeded: the credits used this month" }),
            resets_at: z.string().optional().openapi({ description: "budget_exceeded: when the month ends" }),
          }),
        )
        .optional(),
    }),
  })
  .openapi("Error");

const EventSchema = z.object({ at: z.string(), type: z.string(), detail: JsonObjectSchema }).openapi("Event");
export type TimelineEvent = { at: string; type: string; detail: Record<string, JsonValue> };

/** A generation id: only ids of this form can exist (anything else is answered 404, never 400). */
export const GenerationIdSchema = z
  .string()
  .regex(GENERATION_ID_PATTERN, { error: "is not a generation id" })
  .openapi({ description: "A generation id as returned on create" });

export const GenerationListSchema = z
  .object({
    data: z.array(GenerationSchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as cursor for the next page; null at the end" }),
  })
  .openapi("GenerationList");

/** `DELETE …/{id}?purge=true`: what a purge answers. */
export const PurgedSchema = z
  .object({ id: z.string(), purged: z.literal(true) })
  .openapi("Purged", { description: "The generation is deleted for good: every route answers 404 for its id" });

export const DeleteQuerySchema = z.object({
  purge: z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional().openapi({
    description:
      "true: delete the generation for good (video, inputs, timeline, list row), canceling it first if it runs, without a webhook",
  }),
});

/** An ISO-8601 date (`2026-08-01`, midnight UTC) or date-time with a time zone (`Z` or an offset). */
const isIsoInstant = (value: string): boolean =>
  (z.iso.datetime({ offset: true }).safeParse(value).success || z.iso.date().safeParse(value).success) &&
  !Number.isNaN(Date.parse(value));

export const UsageQuerySchema = z.object({
  since: z
    .string()
    .refine(isIsoInstant, {
      error: "must be an ISO-8601 date or date-time with a time zone, e.g. 2026-08-01T00:00:00Z",
    })
    .optional()
    .openapi({
      format: "date-time",
      description: "Count generations created at or after this instant (absent: all)",
      example: "2026-08-01T00:00:00Z",
    }),
});

const count = z.number().int();
export const UsageSchema = z
  .object({
    since: z.string().nullable().openapi({ description: "The `since` asked for (normalized), null for all" }),
    by_status: z
      .object({
        queued: count,
        generating: count,
        storing: count,
        completed: count,
        failed: count,
        canceled: count,
      })
      .openapi({ description: "Every status, zeros included" }),
    by_model: z.record(z.string(), count).openapi({ description: "Generations per model id" }),
    videos: z
      .object({ count, bytes: count })
      .openapi({ description: "Videos still stored in R2: how many, and their total size in bytes" }),
    credits: z
      .object({
        month: z.string().openapi({ description: "The UTC calendar month, YYYY-MM", example: "2026-12" }),
        used: z.number().openapi({
          description:
            "Upstream credits of this key's generations created this month, purged and expired ones included",
        }),
        budget: z
          .number()
          .nullable()
          .openapi({ description: "This key's monthly budget (CREDIT_BUDGETS); null: none" }),
        resets_at: z.string().openapi({ description: "When the month ends and `used` starts again from 0" }),
      })
      .openapi({ description: "What this key's generations cost upstream this month, against its budget" }),
  })
  .openapi("Usage", {
    description:
      "The calling key's generations that the relay still keeps (retention and purge remove them), from its index",
  });

export const EventListSchema = z
  .object({ data: z.array(EventSchema), next_cursor: z.string().nullable() })
  .openapi("EventList");

/** `GET …/events`: `limit` 1..1000 (default 1000); `cursor` is the `next_cursor` of the previous page. */
export const EventsQuerySchema = z.object({
  limit: z.coerce
    .number({ error: "must be an integer" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be between 1 and 1000" })
    .max(1000, { error: "must be between 1 and 1000" })
    .default(1000),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, { error: "is not a valid cursor" })
    .optional()
    .openapi({ description: "`next_cursor` of the previous page" }),
});

/** The upstream-compatible answers (docs/compatibility.md), in the upstream's own shapes and status words. */
const CompatStatusSchema = z.enum(["queued", "generating", "completed", "error"]);

/**
 * The upstream's clients read the task id from `id` or from `generation_id`
 * (its MiniMax pages' examples), so both carry it; `meta` is where the
 * upstream puts its usage figures, which the relay does not pass on (null).
 * docs/compatibility.md lists what each vendor's documented answers show.
 */
const CompatIdsSchema = {
  id: z.string().openapi({ description: "The generation id" }),
  generation_id: z.string().openapi({ description: "The same id again, for clients that read it under this name" }),
};
const CompatMetaSchema = z
  .null()
  .openapi({ description: "Always null: present because the upstream's answers carry it (usage figures there)" });

export const CompatCreatedSchema = z
  .object({ ...CompatIdsSchema, status: CompatStatusSchema, meta: CompatMetaSchema })
  .openapi("CompatCreated", { description: "The generation's status now: queued when new, current on a replay" });

export const CompatGenerationSchema = z
  .object({
    ...CompatIdsSchema,
    status: CompatStatusSchema,
    video: z
      .object({ url: z.string().openapi({ description: "The relay's signed link to the stored MP4" }) })
      .nullable(),
    error: z.object({ name: z.string(), message: z.string() }).nullable(),
    model: z.string().openapi({ description: "The model the generation runs" }),
    meta: CompatMetaSchema,
  })
  .openapi("CompatGeneration");

export const CompatErrorSchema = z.object({ message: z.string(), statusCode: z.number().int() }).openapi("CompatError");

/** The three Standard Webhooks headers every webhook request carries (docs/api.md#signatures). */
export const WebhookHeadersSchema = z.object({
  "webhook-id": z.string().openapi({
    description: "The message's id: the same on every attempt and redelivery of one event; de-duplicate on it",
    example: "msg_01k9x3m4pq7r2s8t5v6w9y0zab_completed",
  }),
  "webhook-timestamp": z.string().openapi({
    description: "Unix seconds when this attempt was signed (fresh on each attempt); refuse one too far from now",
    example: "1767225600",
  }),
  "webhook-signature": z.string().openapi({
    description:
      '`v1,` + base64 HMAC-SHA256 of `"{webhook-id}.{webhook-timestamp}.{raw body}"`, keyed with the bytes of the ' +
      "creating client's own `whsec_` secret (`GET /v1/webhooks/secret`)",
    example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
  }),
});

const EventTimestampSchema = z.string().openapi({
  format: "date-time",
  description: "When the event happened (ISO-8601); the same on every attempt and redelivery",
});

/** `generation.started` → `GenerationStartedEvent`. */
const eventSchemaName = (name: string): string => `Generation${name[0]?.toUpperCase() ?? ""}${name.slice(1)}Event`;

/** The body of each webhook event, `{type, timestamp, data: Generation}`: one schema per type, in the vocabulary's order. */
export const GENERATION_EVENT_SCHEMAS = WEBHOOK_EVENT_NAMES.map((name) => ({
  type: `generation.${name}` as const,
  schema: z
    .object({
      type: z.literal(`generation.${name}`),
      timestamp: EventTimestampSchema,
      data: GenerationSchema,
    })
    .openapi(eventSchemaName(name)),
}));

/** `POST /v1/webhooks/test`: where to send the test event. */
export const WebhookTestRequestSchema = z
  .object({
    url: z.string({ error: "must be a string" }).openapi({
      description: "The receiver to try: the same rules as a generation's webhook_url",
      example: "https://example.com/hooks/wan",
    }),
  })
  .strict()
  .openapi("WebhookTestRequest");

/** The body of the one event `POST /v1/webhooks/test` sends. */
export const WebhookTestEventSchema = z
  .object({
    type: z.literal(WEBHOOK_TEST_EVENT_TYPE),
    timestamp: EventTimestampSchema,
    data: z.object({
      url: z.string().openapi({ description: "The URL the test was sent to (normalized)" }),
      message: z.string(),
    }),
  })
  .openapi("WebhookTestEvent", {
    description: "Sent only by `POST /v1/webhooks/test`, once, never retried; no generation is involved",
  });

/** What the test send's one attempt gave. */
export const WebhookTestResultSchema = z
  .object({
    status: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The receiver's HTTP status; null when it gave none (timeout, network error)" }),
    duration_ms: z.number().int().openapi({ description: "How long the attempt took, in milliseconds" }),
    error: z.string().optional().openapi({
      description:
        "Present when a webhook would count this attempt as failed: no answer, a redirect (not followed), or any status but 2xx",
    }),
  })
  .openapi("WebhookTestResult");
