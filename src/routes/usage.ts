/**
 * `GET /v1/usage` (docs/api.md#native-api), mounted at /v1: what the calling key has
 * generated and still keeps, counted by its client index alone (one call,
 * never one per generation).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { UsageQuerySchema, UsageSchema } from "../api/schemas.ts";
import { budgetFor, readConfig } from "../config.ts";
import { requireKey, type AppEnv } from "../lib/http.ts";
import { monthEndsAt, utcMonth } from "../lib/months.ts";
import { BEARER, json, nativeErrors } from "./common.ts";

export const usage = new OpenAPIHono<AppEnv>();

export const getUsageRoute = createRoute({
  tags: ["Usage"],
  method: "get",
  path: "/usage",
  summary: "This key's generations counted by status and model, and its stored videos",
  security: BEARER,
  middleware: [requireKey],
  request: { query: UsageQuerySchema },
  responses: {
    200: json(UsageSchema, "Counts over the generations the relay still keeps for this key"),
    ...nativeErrors([400, 401, 503], { 400: "since is not an ISO-8601 date or date-time with a time zone" }),
  },
});

usage.openapi(getUsageRoute, async (c) => {
  const { since } = c.req.valid("query");
  const sinceMs = since === undefined ? null : Date.parse(since);
  const month = utcMonth(Date.now());
  const counts = await c.env.CLIENT_INDEX.getByName(c.var.clientId).usage(sinceMs, month);
  return c.json(
    {
      since: sinceMs === null ? null : new Date(sinceMs).toISOString(),
      by_status: counts.byStatus,
      by_model: counts.byModel,
      videos: counts.videos,
      credits: {
        month,
        used: counts.creditsUsed,
        budget: budgetFor(readConfig(c.env).creditBudgets, c.var.clientId),
        resets_at: monthEndsAt(month),
      },
    },
    200,
  );
});
