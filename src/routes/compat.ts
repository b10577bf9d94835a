/**
 * The upstream-compatible API (docs/compatibility.md), mounted at /v2: code
 * written for the AI/ML API works by changing only its base URL and key.
 * Every model of the catalogue, on the universal path and on each vendor
 * path, with the upstream's shapes, its status words and its error shape
 * `{message, statusCode}` (applied by app.onError under /v2/).
 *
 * Two declarations: the universal path, and the vendor paths as one
 * templated path `/generate/video/{vendor}/generation` (so the reference lists
 * them once). Each takes every model's body (as the upstream's own vendor
 * paths take the same bodies) and answers `GET ?generation_id=` for any
 * generation. A vendor the upstream does not document is no route: 404, as
 * for any unknown path, before the key is even looked at.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { createGeneration } from "./create-generation.ts";
import { CompatCreatedSchema, CompatCreateSchema, CompatGenerationSchema } from "../api/schemas.ts";
import { toCompat } from "../generation/view.ts";
import { ApiError, notFound } from "../lib/errors.ts";
import { GENERATION_ID_PATTERN } from "../lib/ids.ts";
import { requireKey, type AppEnv } from "../lib/http.ts";
import { BEARER, compatErrors, generationStub, IdempotencyHeadersSchema, json } from "./common.ts";
import { createBody } from "./create-body.ts";

/** The vendors whose older per-vendor paths the upstream documents. */
const COMPAT_VENDORS = ["alibaba", "kling", "google", "minimax", "runway", "bytedance", "pixverse"] as const;

const UNIVERSAL_PATH = "/video/generations";
/** The vendor paths, as declared: one templated path (Hono matches `{vendor}` as `:vendor`). */
const VENDOR_PATH = "/generate/video/{vendor}/generation";

/** Every concrete path under /v2, as the upstream names them: the universal one, then each vendor's. */
export const COMPAT_PATHS: readonly string[] = [
  UNIVERSAL_PATH,
  ...COMPAT_VENDORS.map((vendor) => VENDOR_PATH.replace("{vendor}", vendor)),
];

export const compat = new OpenAPIHono<AppEnv>();

const VendorParamsSchema = z.object({
  vendor: z.enum(COMPAT_VENDORS).openapi({
    param: { name: "vendor", in: "path" },
    description:
      "The vendor of the upstream's older per-vendor path; each takes every model of the catalogue, as the universal path does",
    example: "alibaba",
  }),
});

/** An undocumented vendor is an unknown route: 404 `{message, statusCode}`, as app.notFound answers. */
const knownVendor = createMiddleware<AppEnv>(async (c, next) => {
  const vendor = c.req.param("vendor");
  if (vendor === undefined || !(COMPAT_VENDORS as readonly string[]).includes(vendor)) {
    throw new ApiError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`);
  }
  await next();
});

const vendorDescription = `One path per vendor, as the upstream documents them: ${COMPAT_VENDORS.map((vendor) => `\`${vendor}\``).join(", ")}. `;

const UNKNOWN_VENDOR = "No such vendor path: the vendor is not one the upstream documents";

const createRouteFor = (path: string, vendor: boolean) =>
  createRoute({
    tags: ["Compatible API (AI/ML API shapes)"],
    method: "post",
    path,
    summary: "Create a generation (upstream-compatible)",
    description:
      (vendor ? vendorDescription : "") +
      "The upstream's body for any model of the catalogue (`GET /v1/models/{model}` gives each model's fields), " +
      "plus an optional `webhook_url`.",
    security: BEARER,
    // The key is checked before the body is read, as on /v1: 401 comes before 413.
    middleware: vendor ? [knownVendor, requireKey, createBody] : [requireKey, createBody],
    request: {
      params: vendor ? VendorParamsSchema : z.object({}),
      headers: IdempotencyHeadersSchema,
      body: { required: true, content: { "application/json": { schema: CompatCreateSchema } } },
    },
    responses: {
      201: json(CompatCreatedSchema, "Created (or an idempotent replay, with the generation's current status)"),
      ...compatErrors(
        vendor ? [400, 401, 403, 404, 409, 413, 415, 422, 429, 503] : [400, 401, 403, 409, 413, 415, 422, 429, 503],
        {
          403: "This key's upstream credits this month reached its budget (CREDIT_BUDGETS), as the upstream answers when credits run out",
          404: UNKNOWN_VENDOR,
          409: "The generation this Idempotency-Key created has been deleted (purged or expired)",
        },
      ),
    },
  });

const statusRouteFor = (path: string, vendor: boolean) =>
  createRoute({
    tags: ["Compatible API (AI/ML API shapes)"],
    method: "get",
    path,
    summary: "A generation's status (upstream-compatible)",
    ...(vendor ? { description: `${vendorDescription}Any path answers for any generation.` } : {}),
    security: BEARER,
    middleware: vendor ? [knownVendor, requireKey] : [requireKey],
    request: {
      params: vendor ? VendorParamsSchema : z.object({}),
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
      ...compatErrors([400, 401, 404, 503], {
        400: "generation_id is missing",
        ...(vendor ? { 404: `No generation with this id is visible to this key; or: ${UNKNOWN_VENDOR}` } : {}),
      }),
    },
  });

/**
 * The declared routes: the universal path, and the vendor paths' templated
 * one, each with the concrete paths it serves (what a client calls).
 */
export const compatRoutes = [
  {
    paths: [UNIVERSAL_PATH],
    create: createRouteFor(UNIVERSAL_PATH, false),
    status: statusRouteFor(UNIVERSAL_PATH, false),
  },
  {
    paths: COMPAT_PATHS.slice(1),
    create: createRouteFor(VENDOR_PATH, true),
    status: statusRouteFor(VENDOR_PATH, true),
  },
];

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
