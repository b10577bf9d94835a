/**
 * The native API (CONTRACT.md §3): `/v1/generations…`.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { readConfig } from "../config.ts";
import { createGeneration } from "../generation/create.ts";
import { CreateGenerationSchema, ListQuerySchema, type Generation } from "../generation/schema.ts";
import { isTerminal } from "../generation/state.ts";
import { ApiError, notFound } from "../lib/errors.ts";
import { limitBody, readJsonBody, requireClient, validate, type AppContext, type AppEnv } from "../lib/http.ts";
import { GENERATION_ID_PATTERN, isGenerationId } from "../lib/ids.ts";
import { serveVideo } from "../storage/serve-video.ts";

export const generations = new Hono<AppEnv>();

/** A video request carrying a signed query and no bearer key is authorised by the signature instead. */
const isSignedVideoRequest = (c: AppContext): boolean =>
  c.req.path.endsWith("/video") &&
  c.req.header("Authorization") === undefined &&
  c.req.query("signature") !== undefined;

generations.use("*", async (c, next) => {
  if (!isSignedVideoRequest(c)) c.set("clientId", await requireClient(c));
  await next();
});

function stubFor(c: AppContext, id: string) {
  if (!isGenerationId(id)) throw notFound();
  return c.env.GENERATION.getByName(id);
}

generations.post("/generations", limitBody, async (c) => {
  const { data } = await readJsonBody(c, CreateGenerationSchema);
  const { generation, created } = await createGeneration(c.env, c.var.clientId, data, {
    idempotencyKey: c.req.header("Idempotency-Key") ?? null,
    requestOrigin: new URL(c.req.url).origin,
  });
  return c.json(generation, created ? 202 : 200);
});

generations.get("/generations", async (c) => {
  const query = validate(ListQuerySchema, c.req.query());
  if (query.cursor !== undefined && !GENERATION_ID_PATTERN.test(query.cursor)) {
    throw new ApiError(400, "invalid_request", "cursor is not a valid cursor", [
      { field: "cursor", rule: "format", message: "cursor is not a valid cursor" },
    ]);
  }
  const page = await c.env.CLIENT_INDEX.getByName(c.var.clientId).list({
    limit: query.limit,
    cursor: query.cursor ?? null,
    status: query.status ?? null,
  });
  const found = await Promise.all(page.ids.map((id) => c.env.GENERATION.getByName(id).get(c.var.clientId)));
  const data = found.filter((generation): generation is Generation => generation !== null);
  return c.json({ data, next_cursor: page.nextCursor });
});

generations.get("/generations/:id", async (c) => {
  const generation = await stubFor(c, c.req.param("id")).get(c.var.clientId);
  if (!generation) throw notFound();
  return c.json(generation);
});

generations.delete("/generations/:id", async (c) => {
  const result = await stubFor(c, c.req.param("id")).cancel(c.var.clientId);
  if (result.kind === "not_found") throw notFound();
  if (result.kind === "conflict") {
    throw new ApiError(409, "already_terminal", `The generation is already ${result.status} and cannot be canceled`);
  }
  return c.json(result.generation);
});

generations.get("/generations/:id/events", async (c) => {
  const events = await stubFor(c, c.req.param("id")).events(c.var.clientId, { limit: 1000, cursor: null });
  if (!events) throw notFound();
  return c.json({ data: events.data });
});

generations.post("/generations/:id/webhook/redeliver", async (c) => {
  const result = await stubFor(c, c.req.param("id")).redeliverWebhook(c.var.clientId);
  if (result.kind === "not_found") throw notFound();
  if (result.kind === "nothing_to_send") throw new ApiError(409, "nothing_to_redeliver", result.reason);
  if (result.kind === "pending") throw new ApiError(409, "webhook_pending", "This event's delivery is still pending");
  return c.json(result.generation, 202);
});

generations.get("/generations/:id/video", async (c) => {
  const id = c.req.param("id");
  const stub = stubFor(c, id);
  const auth = isSignedVideoRequest(c)
    ? { expires: c.req.query("expires") ?? "", signature: c.req.query("signature") ?? "" }
    : { clientId: c.var.clientId };
  const access = await stub.videoAccess(auth);
  switch (access.kind) {
    case "not_found":
      throw notFound();
    case "invalid_signature":
      throw new ApiError(403, "invalid_signature", "The video link's signature is not valid");
    case "expired":
      throw new ApiError(403, "link_expired", "The video link has expired; GET the generation for a fresh one");
    case "not_ready":
      throw new ApiError(404, "video_not_ready", `The generation is ${access.status}; its video is not stored yet`);
    case "ok":
      return serveVideo(c.env.VIDEOS, access.video, c.req.raw);
  }
});

/**
 * Server-sent events: one `generation` event per status change (each as it
 * was at that change, kept by the object), closed after the terminal state.
 */
generations.get("/generations/:id/stream", async (c) => {
  const stub = stubFor(c, c.req.param("id"));
  const clientId = c.var.clientId;
  const first = await stub.changes(clientId, 0);
  if (!first) throw notFound();
  const config = readConfig(c.env);
  const intervalMs = Math.min(Math.max(config.pollIntervalMs / 4, 100), 1000);
  const deadline = Date.now() + config.generationTimeoutMs + 60_000;
  return streamSSE(c, async (stream) => {
    let pending = first;
    let seq = 0;
    while (!stream.aborted && Date.now() < deadline) {
      for (const change of pending) {
        seq = change.seq;
        await stream.writeSSE({ event: "generation", id: String(change.seq), data: JSON.stringify(change.generation) });
        if (isTerminal(change.generation.status)) return;
      }
      await stream.sleep(intervalMs);
      pending = (await stub.changes(clientId, seq)) ?? [];
    }
  });
});
