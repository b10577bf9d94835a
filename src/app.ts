/**
 * The Hono app: routes mounted per API surface, one error handler.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "./lib/errors.ts";
import type { AppEnv } from "./lib/http.ts";
import { compat } from "./routes/compat.ts";
import { docs } from "./routes/docs.ts";
import { generations } from "./routes/generations.ts";

export const app = new Hono<AppEnv>();

app.get("/healthz", (c) => c.json({ ok: true }));
app.route("/v1", generations);
app.route("/", compat);
app.route("/", docs);

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
    apiError = new ApiError(error.status === 413 ? 413 : 400, "invalid_request", error.message);
  } else {
    // A bug: log it (never a secret: the error is ours) and answer without details.
    console.error(
      JSON.stringify({
        message: "unhandled error",
        path: c.req.path,
        error: error instanceof Error ? error.stack : String(error),
      }),
    );
    apiError = new ApiError(500, "internal_error", "Internal error");
  }
  const headers = apiError.headers ?? {};
  if (isCompatPath(c.req.path)) {
    return c.json({ message: apiError.message, statusCode: apiError.status }, apiError.status, headers);
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
