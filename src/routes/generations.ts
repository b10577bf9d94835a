/**
 * The native API (docs/api.md#native-api): `/v1/generations…`, mounted at /v1.
 * Each route is declared once (path, auth, request schemas, responses) and
 * its handler follows it; the video has its own file (video.ts).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createGeneration } from "./create-generation.ts";
import {
  CreateGenerationSchema,
  DeleteQuerySchema,
  EventListSchema,
  EventsQuerySchema,
  GenerationListSchema,
  GenerationSchema,
  ListQuerySchema,
  PurgedSchema,
} from "../api/schemas.ts";
import { withSignedLink } from "../generation/links.ts";
import { ApiError, notFound } from "../lib/errors.ts";
import { MAX_REDELIVERIES, REDELIVER_INTERVAL_MS } from "../webhook/delivery.ts";
import { requireKey, type AppEnv } from "../lib/http.ts";
import { GENERATION_ID_PATTERN } from "../lib/ids.ts";
import {
  BEARER,
  generationStub,
  GenerationIdParamsSchema,
  IdempotencyHeadersSchema,
  json,
  nativeErrors,
} from "./common.ts";
import { createBody } from "./create-body.ts";

export const generations = new OpenAPIHono<AppEnv>();

export const createGenerationRoute = createRoute({
  tags: ["Generations"],
  method: "post",
  path: "/generations",
  summary: "Create a generation",
  security: BEARER,
  description:
    "The body is the relay's fields (`webhook_url`, `webhook_events`, `metadata`), `model`, and that model's " +
    "own input fields, checked per model: `GET /v1/models/{model}` gives them as a JSON Schema.",
  // The key is checked before the body is read: 401 comes before 413.
  middleware: [requireKey, createBody],
  request: {
    headers: IdempotencyHeadersSchema,
    body: { required: true, content: { "application/json": { schema: CreateGenerationSchema } } },
  },
  responses: {
    202: json(GenerationSchema, "Accepted: the generation is queued"),
    200: json(GenerationSchema, "Idempotent replay: the generation this key and body created, as it is now"),
    ...nativeErrors([400, 401, 402, 409, 413, 415, 422, 429, 503], {
      409: "idempotency_key_gone: the generation this Idempotency-Key created has been deleted (purged or expired)",
      400: "The body is not valid for the model (or the model is unknown, or the JSON nests deeper than 64 levels); `details` names each field and the rule it broke",
      413: "The body is over 64 KB without the data: URIs of media fields, or a data: URI is over MAX_INLINE_MEDIA_BYTES decoded (`details` names it)",
      503: "RELAY_API_KEYS is not set, or webhook_url was given and WEBHOOK_SECRET cannot sign",
    }),
  },
});

generations.openapi(createGenerationRoute, async (c) => {
  const { generation, created } = await createGeneration(c.env, c.var.clientId, c.req.valid("json"), {
    idempotencyKey: c.req.valid("header")["Idempotency-Key"] ?? null,
    requestOrigin: new URL(c.req.url).origin,
  });
  return created ? c.json(generation, 202) : c.json(generation, 200);
});

export const listGenerationsRoute = createRoute({
  tags: ["Generations"],
  method: "get",
  path: "/generations",
  summary: "List this key's generations, newest first",
  security: BEARER,
  middleware: [requireKey],
  // Not strict: unknown query parameters (cache busters, tracking) are ignored.
  request: { query: ListQuerySchema },
  responses: {
    200: json(GenerationListSchema, "One page"),
    ...nativeErrors([400, 401, 503]),
  },
});

generations.openapi(listGenerationsRoute, async (c) => {
  const query = c.req.valid("query");
  if (query.cursor !== undefined && !GENERATION_ID_PATTERN.test(query.cursor)) {
    throw new ApiError(400, "invalid_request", "cursor is not a valid cursor", [
      { field: "cursor", rule: "format", message: "cursor is not a valid cursor" },
    ]);
  }
  // One call: the index keeps a summary row per generation; only the links are signed here.
  const page = await c.env.CLIENT_INDEX.getByName(c.var.clientId).listSummaries({
    limit: query.limit,
    cursor: query.cursor ?? null,
    status: query.status ?? null,
  });
  const now = Date.now();
  const data = await Promise.all(page.data.map((summary) => withSignedLink(c.env, summary, now)));
  return c.json({ data, next_cursor: page.nextCursor }, 200);
});

export const getGenerationRoute = createRoute({
  tags: ["Generations"],
  method: "get",
  path: "/generations/{id}",
  summary: "One generation",
  security: BEARER,
  middleware: [requireKey],
  request: { params: GenerationIdParamsSchema },
  responses: {
    200: json(GenerationSchema, "The generation"),
    ...nativeErrors([401, 404, 503]),
  },
});

generations.openapi(getGenerationRoute, async (c) => {
  const stub = await generationStub(c.env, c.req.valid("param").id);
  const generation = await stub.get(c.var.clientId);
  if (!generation) throw notFound();
  return c.json(generation, 200);
});

export const cancelGenerationRoute = createRoute({
  tags: ["Generations"],
  method: "delete",
  path: "/generations/{id}",
  summary: "Cancel a generation, or with purge=true delete it for good",
  security: BEARER,
  middleware: [requireKey],
  request: { params: GenerationIdParamsSchema, query: DeleteQuerySchema },
  responses: {
    200: json(
      z.union([GenerationSchema, PurgedSchema]),
      "Canceled: the Generation. With purge=true: `{id, purged: true}`, after which every route answers 404 for the id",
    ),
    ...nativeErrors([400, 401, 404, 409, 503], {
      400: "purge is not true or false",
      409: "already_terminal: the generation has already ended (a cancel; a purge never conflicts)",
    }),
  },
});

generations.openapi(cancelGenerationRoute, async (c) => {
  const id = c.req.valid("param").id;
  const stub = await generationStub(c.env, id);
  if (c.req.valid("query").purge === "true") {
    const purged = await stub.purge(c.var.clientId);
    if (purged.kind === "not_found") throw notFound();
    return c.json({ id, purged: true as const }, 200);
  }
  const result = await stub.cancel(c.var.clientId);
  if (result.kind === "not_found") throw notFound();
  if (result.kind === "conflict") {
    throw new ApiError(409, "already_terminal", `The generation is already ${result.status} and cannot be canceled`);
  }
  return c.json(result.generation, 200);
});

export const listEventsRoute = createRoute({
  tags: ["Generations"],
  method: "get",
  path: "/generations/{id}/events",
  summary: "The generation's timeline, oldest first",
  security: BEARER,
  middleware: [requireKey],
  request: { params: GenerationIdParamsSchema, query: EventsQuerySchema },
  responses: {
    200: json(EventListSchema, "One page of the timeline; `next_cursor` continues it"),
    ...nativeErrors([400, 401, 404, 503]),
  },
});

generations.openapi(listEventsRoute, async (c) => {
  const stub = await generationStub(c.env, c.req.valid("param").id);
  const { limit, cursor } = c.req.valid("query");
  const page = await stub.events(c.var.clientId, { limit, cursor: cursor === undefined ? null : Number(cursor) });
  if (!page) throw notFound();
  return c.json({ data: page.data, next_cursor: page.nextCursor === null ? null : String(page.nextCursor) }, 200);
});

export const redeliverWebhookRoute = createRoute({
  tags: ["Generations"],
  method: "post",
  path: "/generations/{id}/webhook/redeliver",
  summary: "Send the latest terminal webhook again",
  security: BEARER,
  middleware: [requireKey],
  request: { params: GenerationIdParamsSchema },
  responses: {
    202: json(GenerationSchema, "Queued for delivery"),
    ...nativeErrors([401, 404, 409, 429, 503], {
      409: "webhook_pending: that event's delivery is still scheduled or in flight; nothing_to_redeliver: no webhook or no terminal event yet; redeliver_limit: redelivered the most times it may be (10)",
      429: "rate_limited: redelivered less than a minute ago; Retry-After says when to try again",
    }),
  },
});

generations.openapi(redeliverWebhookRoute, async (c) => {
  const stub = await generationStub(c.env, c.req.valid("param").id);
  const result = await stub.redeliverWebhook(c.var.clientId);
  if (result.kind === "not_found") throw notFound();
  if (result.kind === "nothing_to_send") throw new ApiError(409, "nothing_to_redeliver", result.reason);
  if (result.kind === "pending") throw new ApiError(409, "webhook_pending", "This event's delivery is still pending");
  if (result.kind === "limit") {
    throw new ApiError(
      409,
      "redeliver_limit",
      `This generation's webhook has been redelivered ${MAX_REDELIVERIES} times, the most it may be`,
    );
  }
  if (result.kind === "too_soon") {
    const seconds = Math.ceil(result.retryAfterMs / 1000);
    throw new ApiError(
      429,
      "rate_limited",
      `A generation's webhook may be redelivered once per ${REDELIVER_INTERVAL_MS / 1000} s; try again in ${seconds} s`,
      undefined,
      { "Retry-After": String(seconds) },
    );
  }
  return c.json(result.generation, 202);
});
