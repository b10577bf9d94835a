/**
 * The Hono app: one sub-app per API surface (src/routes/), the one
 * validation hook, the one error handler, and the OpenAPI 3.1 document
 * generated from the routes' own declarations.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "./lib/errors.ts";
import { logProblem } from "./lib/log.ts";
import { validationHook, type AppEnv } from "./lib/http.ts";
import { BEARER, BEARER_SCHEME, EXPIRES_SCHEME, NO_AUTH, SIGNATURE_SCHEME } from "./routes/common.ts";
import { compat } from "./routes/compat.ts";
import { generations } from "./routes/generations.ts";
import { models } from "./routes/models.ts";
import { pages } from "./routes/pages.ts";
import { stream } from "./routes/stream.ts";
import { usage } from "./routes/usage.ts";
import { video } from "./routes/video.ts";
import { documentWebhookEvents, webhooks } from "./routes/webhooks.ts";

// Sub-apps have no hook of their own: OpenAPIHono hands them this one when mounted.
export const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.route("/v1", generations);
app.route("/v1", stream);
app.route("/v1", video);
app.route("/v1", webhooks);
app.route("/v1", models);
app.route("/v1", usage);
app.route("/v2", compat);
// Last, so the document (and /docs) lists the API before the pages.
app.route("/", pages);

app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
  type: "http",
  scheme: "bearer",
  description: "A client key from RELAY_API_KEYS",
});
app.openAPIRegistry.registerComponent("securitySchemes", SIGNATURE_SCHEME, {
  type: "apiKey",
  in: "query",
  name: "signature",
  description: "The video's signed link (as given in `video.url`): signature…",
});
app.openAPIRegistry.registerComponent("securitySchemes", EXPIRES_SCHEME, {
  type: "apiKey",
  in: "query",
  name: "expires",
  description: "…and its expiry, which the signature covers",
});

documentWebhookEvents(app.openAPIRegistry);

const OPENAPI_PATH = "/openapi.json";

// Served below; declared here so the document lists itself too.
app.openAPIRegistry.registerPath({
  tags: ["Pages"],
  method: "get",
  path: OPENAPI_PATH,
  summary: "This document (OpenAPI 3.1)",
  security: NO_AUTH,
  responses: {
    200: {
      description: "The OpenAPI document",
      content: { "application/json": { schema: z.object({}).passthrough() } },
    },
  },
});

/**
 * The document's text, generated once per isolate: the routes cannot change
 * while it runs, and generating it costs milliseconds of CPU an
 * unauthenticated caller must not be able to spend at will. Only `servers`
 * follows the request (the origin it was asked on), spliced into the text.
 */
let documentText: string | null = null;

app.get(OPENAPI_PATH, (c) => {
  documentText ??= JSON.stringify(
    app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "wan-relay",
        version: "0.1.0",
        description:
          "Every video model of the AI/ML API as a callback: submit once, get a signed webhook when the video is in R2.",
      },
      security: BEARER,
    }),
  );
  const servers = JSON.stringify([{ url: new URL(c.req.url).origin }]);
  return c.body(`{"servers":${servers},${documentText.slice(1)}`, 200, { "Content-Type": "application/json" });
});

const isCompatPath = (path: string): boolean => path.startsWith("/v2/");

app.notFound((c) => {
  const message = `No route for ${c.req.method} ${c.req.path}`;
  return isCompatPath(c.req.path)
    ? c.json({ message, statusCode: 404 }, 404)
    : c.json({ error: { code: "not_found", message } }, 404);
});

app.onError((error, c) => {
  let apiError: ApiError;
  if (error instanceof ApiError) {
    apiError = error;
  } else if (error instanceof HTTPException) {
    // Hono's own refusals (a media type the route does not declare, a body too large).
    apiError =
      error.status === 413
        ? new ApiError(413, "payload_too_large", error.message)
        : error.status === 415
          ? new ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
          : new ApiError(400, "invalid_request", error.message);
  } else {
    // A bug: log it (never a secret: the error is ours) and answer without details.
    logProblem({
      event: "http.unhandled_error",
      path: c.req.path,
      error: (error instanceof Error ? error.stack : undefined) ?? String(error),
    });
    apiError = new ApiError(500, "internal_error", "Internal error");
  }
  const headers = apiError.headers ?? {};
  if (isCompatPath(c.req.path)) {
    const status = apiError.compatStatus ?? apiError.status;
    return c.json({ message: apiError.message, statusCode: status }, status, headers);
  }
  const body = {
    error: {
      code: apiError.code,
      message: apiError.message,
      ...(apiError.details ? { details: apiError.details } : {}),
    },
  };
  return c.json(body, apiError.status, headers);
});
