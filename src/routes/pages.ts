/**
 * What needs no key: liveness, the playground (`/`) and the docs page. The
 * OpenAPI document itself is served by the root app (src/app.ts), which is
 * the one that knows every route.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../lib/http.ts";
import DOCS_HTML from "../pages/docs.html";
import PLAYGROUND_HTML from "../pages/playground.html";
import { json, NO_AUTH } from "./common.ts";

export const pages = new OpenAPIHono<AppEnv>();

const html = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });

export const HealthSchema = z.object({ ok: z.literal(true) }).openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness",
  security: NO_AUTH,
  responses: { 200: json(HealthSchema, "The Worker answers") },
});

pages.openapi(healthRoute, (c) => c.json({ ok: true as const }, 200));

export const playgroundRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The playground: create a generation and watch it in the browser",
  security: NO_AUTH,
  responses: { 200: html("The playground page") },
});

pages.openapi(playgroundRoute, (c) => c.html(PLAYGROUND_HTML, 200));

export const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  summary: "This API's reference, rendered from /openapi.json",
  security: NO_AUTH,
  responses: { 200: html("The docs page") },
});

pages.openapi(docsRoute, (c) => c.html(DOCS_HTML, 200));
