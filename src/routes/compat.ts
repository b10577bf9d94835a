/**
 * The upstream-compatible API (CONTRACT.md §4): code written for the AI/ML
 * API works by changing only its base URL and key. Both the legacy and the
 * current paths, the upstream's shapes, its status words and its error shape
 * `{message, statusCode}` (applied by app.onError under /v2/).
 */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { createGeneration } from "../generation/create.ts";
import { CompatCreateSchema } from "../generation/schema.ts";
import { toCompat } from "../generation/view.ts";
import { ApiError, notFound } from "../lib/errors.ts";
import { limitBody, readJsonBody, requireClient, type AppEnv } from "../lib/http.ts";
import { isGenerationId } from "../lib/ids.ts";

export const COMPAT_PATHS = ["/v2/generate/video/alibaba/generation", "/v2/video/generations"] as const;

export const compat = new Hono<AppEnv>();

const authenticateClient = createMiddleware<AppEnv>(async (c, next) => {
  c.set("clientId", await requireClient(c));
  await next();
});

for (const path of COMPAT_PATHS) {
  // The key is checked before the body is read, as on /v1: 401 comes before 413.
  compat.post(path, authenticateClient, limitBody, async (c) => {
    const { data, raw } = await readJsonBody(c, CompatCreateSchema);
    const { enhance_prompt, ...rest } = data;
    const request = {
      ...rest,
      // The current API calls it enhance_prompt; an explicit enable_prompt_expansion wins.
      enable_prompt_expansion: hasKey(raw, "enable_prompt_expansion")
        ? rest.enable_prompt_expansion
        : (enhance_prompt ?? rest.enable_prompt_expansion),
    };
    const { generation } = await createGeneration(c.env, c.var.clientId, request, {
      idempotencyKey: c.req.header("Idempotency-Key") ?? null,
      requestOrigin: new URL(c.req.url).origin,
    });
    return c.json({ id: generation.id, status: "queued" }, 201);
  });

  compat.get(path, async (c) => {
    const clientId = await requireClient(c);
    const id = c.req.query("generation_id");
    if (id === undefined || id === "") {
      throw new ApiError(400, "invalid_request", "generation_id is required", [
        { field: "generation_id", rule: "required", message: "generation_id is required" },
      ]);
    }
    if (!isGenerationId(id)) throw notFound();
    const generation = await c.env.GENERATION.getByName(id).get(clientId);
    if (!generation) throw notFound();
    return c.json(toCompat(generation));
  });
}

function hasKey(value: unknown, key: string): boolean {
  return typeof value === "object" && value !== null && key in value;
}
