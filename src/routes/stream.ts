/**
 * `GET /v1/generations/{id}/stream` (docs/api.md#native-api), mounted at /v1:
 * server-sent events, one `generation` event per status change, closed after
 * the terminal one.
 *
 * The object pushes changes down one RPC byte stream (generation/watchers.ts),
 * so a viewer costs one subrequest for the whole wait, not one per second;
 * if that stream breaks (the object was restarted) it is reopened after the
 * last event seen, a bounded number of times. A comment line keeps idle
 * connections alive. Each client may hold MAX_STREAMS_PER_CLIENT streams at
 * once (slots kept by its index, freed when a stream ends or expires).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { readConfig } from "../config.ts";
import { withSignedLink } from "../generation/links.ts";
import type { Frame } from "../generation/watchers.ts";
import type { Generation } from "../generation/view.ts";
import { ApiError, notFound } from "../lib/errors.ts";
import { requireKey, type AppEnv } from "../lib/http.ts";
import { isTerminal } from "../vocabulary.ts";
import { randomToken } from "../lib/ids.ts";
import { BEARER, generationStub, GenerationIdParamsSchema, nativeErrors } from "./common.ts";

/** Streams one client may have open at once. */
export const MAX_STREAMS_PER_CLIENT = 10;
/** How long an idle stream waits before a keep-alive comment: the poll interval, within these bounds. */
const HEARTBEAT_MIN_MS = 1_000;
const HEARTBEAT_MAX_MS = 15_000;
/** How often a broken feed is reopened before the stream gives up (the client can reconnect). */
const MAX_REOPENS = 5;
/** A stream outlives its generation's deadline by at most this. */
const STREAM_SLACK_MS = 60_000;
const TOO_MANY_STREAMS_RETRY_AFTER_SECONDS = 30;

export const stream = new OpenAPIHono<AppEnv>();

export const streamGenerationRoute = createRoute({
  tags: ["Generations"],
  method: "get",
  path: "/generations/{id}/stream",
  summary: "Server-sent events: one `generation` event per status change, closed after the terminal one",
  security: BEARER,
  middleware: [requireKey],
  request: { params: GenerationIdParamsSchema },
  responses: {
    200: {
      description:
        "`event: generation`, `data:` the Generation as it was at that change (links freshly signed); `: keep-alive` comments while idle",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...nativeErrors([401, 404, 429, 503], {
      429: `too_many_streams: this key already has ${MAX_STREAMS_PER_CLIENT} streams open; Retry-After says when to try again`,
    }),
  },
});

stream.openapi(streamGenerationRoute, async (c) => {
  const stub = await generationStub(c.env, c.req.valid("param").id);
  const clientId = c.var.clientId;
  const config = readConfig(c.env);
  const index = c.env.CLIENT_INDEX.getByName(clientId);
  const slot = randomToken(12);
  const until = Date.now() + config.generationTimeoutMs + STREAM_SLACK_MS;
  if (!(await index.acquireStream(slot, until, MAX_STREAMS_PER_CLIENT))) {
    throw new ApiError(
      429,
      "too_many_streams",
      `This key already has ${MAX_STREAMS_PER_CLIENT} streams open`,
      undefined,
      { "Retry-After": String(TOO_MANY_STREAMS_RETRY_AFTER_SECONDS) },
    );
  }
  let feed: ReadableStream<Uint8Array> | null;
  try {
    feed = await stub.watch(clientId, 0);
  } catch (error) {
    await index.releaseStream(slot);
    throw error;
  }
  if (feed === null) {
    await index.releaseStream(slot);
    throw notFound();
  }
  const first = feed;
  const heartbeatMs = Math.min(Math.max(config.pollIntervalMs, HEARTBEAT_MIN_MS), HEARTBEAT_MAX_MS);
  return streamSSE(c, async (sse) => {
    try {
      let lastSeq = 0;
      let current: ReadableStream<Uint8Array> | null = first;
      for (let reopens = 0; current !== null && !sse.aborted && Date.now() < until; reopens++) {
        const sign = (frame: Frame) => withSignedLink(c.env, frame.summary, Date.now());
        const outcome = await relay(current, sse, { heartbeatMs, until, sign }, (frame) => (lastSeq = frame.seq));
        if (outcome !== "broken" || reopens >= MAX_REOPENS) break;
        await sse.sleep(HEARTBEAT_MIN_MS);
        current = await stub.watch(clientId, lastSeq);
      }
    } finally {
      await index.releaseStream(slot);
    }
  });
});

/**
 * Copies one feed's frames to the client as SSE events, with a keep-alive
 * comment whenever nothing came for `heartbeatMs`. "ended": the terminal event
 * was sent; "broken": the feed stopped before it; "stopped": the client left
 * or the stream's time is up.
 */
async function relay(
  feed: ReadableStream<Uint8Array>,
  sse: SSEStreamingApi,
  options: { heartbeatMs: number; until: number; sign: (frame: Frame) => Promise<Generation> },
  onFrame: (frame: Frame) => void,
): Promise<"ended" | "broken" | "stopped"> {
  const { heartbeatMs, until } = options;
  const reader = feed.pipeThrough(new TextDecoderStream()).getReader();
  const left = new Promise<"left">((resolve) => sse.onAbort(() => resolve("left")));
  let buffer = "";
  let read = reader.read();
  try {
    while (!sse.aborted && Date.now() < until) {
      const next = await nextOf(read, left, heartbeatMs);
      if (next === "left") return "stopped";
      if (next === "timeout") {
        await sse.write(": keep-alive\n\n");
        continue;
      }
      if (next === "error" || next.done) return "broken";
      read = reader.read();
      buffer += next.value;
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
        const frame = JSON.parse(buffer.slice(0, end)) as Frame;
        buffer = buffer.slice(end + 1);
        onFrame(frame);
        // Each link is signed as its event is sent.
        const generation = await options.sign(frame);
        await sse.writeSSE({ event: "generation", id: String(frame.seq), data: JSON.stringify(generation) });
        if (isTerminal(generation.status)) return "ended";
      }
    }
    return "stopped";
  } finally {
    read.catch(() => undefined);
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * The read's result, "error" if it failed, "left" once the client has gone,
 * or "timeout" after `ms` (the read stays pending for the next call).
 */
async function nextOf<T>(
  read: Promise<T>,
  left: Promise<"left">,
  ms: number,
): Promise<T | "error" | "left" | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([read.catch(() => "error" as const), left, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
