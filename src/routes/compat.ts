/**
 * The upstream-compatible API (docs/compatibility.md), mounted at /v2: code
 * written for the AI/ML API works by changing only its base URL and key.
 * Every model of the catalogue, on the universal path and on each vendor
 * path, with the upstream's shapes, its status words and its error shape
 * `{message, statusCode}` (applied by app.onError under /v2/).
 *
 * One declaration per path, generated from the list below: each path takes
 * every model's body (as the upstream's own vendor paths take the same
 * bodies) and answers `GET ?generation_id=` for any generation.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createGeneration } from "./create-generation.ts";
import { CompatCreatedSchema, CompatCreateSchema, CompatGenerationSchema } from "../api/schemas.ts";
import { toCompat } from "../generation/view.ts";
import { notFound } from "../lib/errors.ts";
import { GENERATION_ID_PATTERN } from "../lib/ids.ts";
import { requireKey, type AppEnv } from "../lib/http.ts";
import { BEARER, compatErrors, generationStub, IdempotencyHeadersSchema, json } from "./common.ts";
import { createBody } from "./create-body.ts";

/** The vendors whose older per-vendor paths the upstream documents. */
export const COMPAT_VENDORS = ["alibaba", "kling", "google", "minimax", "runway", "bytedance", "pixverse"] as const;

/** Paths under /v2, as the upstream names them: the universal one, then each vendor's. */
export const COMPAT_PATHS: readonly string[] = [
  "/video/generations",
  ...COMPAT_VENDORS.map((vendor) => `/generate/video/${vendor}/generation`),
];

export const compat = new OpenAPIHono<AppEnv>();

const createRouteFor = (path: string) =>
  createRoute({
    tags: ["Compatible API (AI/ML API shapes)"],
    method: "post",
    path,
    summary: "Create a generation (upstream-compatible)",
    description:
      "The upstream's body for any model of the catalogue (`GET /v1/models/{model}` gives each model's fields), " +
      "plus an optional `webhook_url`.",
    security: BEARER,
    // The key is checked before the body is read, as on /v1: 401 comes before 413.
    middleware: [requireKey, createBody],
    request: {
      headers: IdempotencyHeadersSchema,
      body: { required: true, content: { "application/json": { schema: CompatCreateSchema } } },
    },
    responses: {
      201: json(CompatCreatedSchema, "Created (or an idempotent replay, with the generation's current status)"),
      ...compatErrors([400, 401, 403, 409, 413, 415, 422, 429, 503], {
        403: "This key's upstream credits this month reached its budget (CREDIT_BUDGETS), as the upstream answers when credits run out",
        409: "The generation this Idempotency-Key created has been deleted (purged or expired)",
      }),
    },
  });

const statusRouteFor = (path: string) =>
  createRoute({
    tags: ["Compatible API (AI/ML API shapes)"],
    method: "get",
    path,
    summary: "A generation's status (upstream-compatible)",
    security: BEARER,
    middleware: [requireKey],
    request: {
      query: z.object({
        // Empty is "missing" (400); any other value that is not an id names no generation (404).
        generation_id: z
          .string({ error: "is required" })
          .min(1, { error: "is required", abort: true })
          .regex(GENERATION_ID_PATTERN, { error: "is not a generation id" })
          .openapi({ description: "The id returned on create" }),
      }),
    },
    responses: {
      200: json(CompatGenerationSchema, "The generation in the upstream's vocabulary"),
      ...compatErrors([400, 401, 404, 503], { 400: "generation_id is missing" }),
    },
  });

export const compatRoutes = COMPAT_PATHS.map((path) => ({
  create: createRouteFor(path),
  status: statusRouteFor(path),
}));

for (const routes of compatRoutes) {
  compat.openapi(routes.create, async (c) => {
    const { generation } = await createGeneration(c.env, c.var.clientId, c.req.valid("json"), {
      idempotencyKey: c.req.valid("header")["Idempotency-Key"] ?? null,
      requestOrigin: new URL(c.req.url).origin,
    });
    // A replay answers what the generation is now, not what it was when created.
    const { id, generation_id, status, meta } = toCompat(generation);
    return c.json({ id, generation_id, status, meta }, 201);
  });

  compat.openapi(routes.status, async (c) => {
    const stub = await generationStub(c.env, c.req.valid("query").generation_id);
    const generation = await stub.get(c.var.clientId);
    if (!generation) throw notFound();
    return c.json(toCompat(generation), 200);
  });
}
