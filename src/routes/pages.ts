/**
 * What needs no key: liveness, the playground (`/`) and the docs page. The
 * OpenAPI document itself is served by the root app (src/app.ts), which is
 * the one that knows every route.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { upstreamMode } from "../config.ts";
import { base64 } from "../lib/encoding.ts";
import type { AppEnv } from "../lib/http.ts";
import DOCS_HTML from "../pages/docs.html";
import PLAYGROUND_HTML from "../pages/playground.html";
import { UPSTREAM_MODES } from "../vocabulary.ts";
import { json, NO_AUTH } from "./common.ts";

export const pages = new OpenAPIHono<AppEnv>();

const html = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });

const HealthSchema = z
  .object({
    ok: z.literal(true).openapi({ description: "The Worker answers" }),
    upstream: z.enum(UPSTREAM_MODES).openapi({
      description:
        "What serves new generations: the AI/ML API (AIMLAPI_KEY is set), the built-in simulator " +
        "(no AIMLAPI_KEY, SIMULATOR=true: a sample video, no cost), or nothing (`not_configured`: creates answer 503)",
    }),
  })
  .openapi("Health");

export const healthRoute = createRoute({
  tags: ["Pages"],
  method: "get",
  path: "/healthz",
  summary: "Liveness, and what serves new generations",
  security: NO_AUTH,
  responses: { 200: json(HealthSchema, "The Worker answers") },
});

pages.openapi(healthRoute, (c) => c.json({ ok: true as const, upstream: upstreamMode(c.env) }, 200));

export const playgroundRoute = createRoute({
  tags: ["Pages"],
  method: "get",
  path: "/",
  summary: "The playground: create a generation and watch it in the browser",
  security: NO_AUTH,
  responses: { 200: html("The playground page") },
});

pages.openapi(playgroundRoute, (c) => c.html(PLAYGROUND_HTML, 200));

export const docsRoute = createRoute({
  tags: ["Pages"],
  method: "get",
  path: "/docs",
  summary:
    "This API's reference: every route, its parameters, request fields and responses, rendered from /openapi.json",
  security: NO_AUTH,
  responses: { 200: html("The docs page (Swagger UI, served from /docs/assets/ by the relay itself)") },
});

/**
 * The docs page may load from this origin only (the renderer's static files
 * and /openapi.json); its inline script is allowed by hash, computed from the
 * page as bundled. Swagger UI sets inline styles and uses data: images.
 */
let docsPolicy: Promise<string> | undefined;

async function inlineScriptHash(source: string): Promise<string> {
  return `'sha256-${base64(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(source)))}'`;
}

function docsContentSecurityPolicy(): Promise<string> {
  docsPolicy ??= (async () => {
    const inline = [...DOCS_HTML.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? "");
    const hashes = await Promise.all(inline.map(inlineScriptHash));
    return [
      "default-src 'self'",
      `script-src 'self' ${hashes.join(" ")}`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; ");
  })();
  return docsPolicy;
}

pages.openapi(docsRoute, async (c) => {
  c.header("Content-Security-Policy", await docsContentSecurityPolicy());
  return c.html(DOCS_HTML, 200);
});
