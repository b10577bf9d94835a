/**
 * GET /v1/generations/{id}/stream: one server-sent event per status change,
 * closed after the terminal state.
 */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/app.ts";
import type { GenerationObject } from "../../src/generation/object.ts";
import type { Generation } from "../../src/api/schemas.ts";
import { MAX_STREAMS_PER_CLIENT } from "../../src/routes/stream.ts";
import { call, create, get, isStatus, ORIGIN, settle, stepUntil, stubOf, uniquePrompt } from "./helpers.ts";

export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      const event =
        lines
          .find((line) => line.startsWith("event:"))
          ?.slice(6)
          .trim() ?? "message";
      const data = lines
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .join("\n");
      yield { event, data };
    }
  }
}

describe("GET /v1/generations/{id}/stream", () => {
  it("sends the current state, then one event per status change, and closes after the terminal state", async () => {
    const created = await create({ prompt: uniquePrompt("steps=queued,generating,completed") });
    await settle(created.id);
    const response = await call(`/v1/generations/${created.id}/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/event-stream");
    const body = response.body;
    if (!body) throw new Error("no body");
    const events = sseEvents(body);
    const statuses: string[] = [];
    const first = await events.next();
    if (first.done) throw new Error("stream closed early");
    statuses.push((JSON.parse(first.value.data) as Generation).status);
    // Drive the generation to its end while the stream is open.
    const driving = (async () => {
      for (let i = 0; i < 10; i++) await runDurableObjectAlarm(stubOf(created.id));
    })();
    for await (const event of events) {
      expect(event.event).toBe("generation");
      statuses.push((JSON.parse(event.data) as Generation).status);
    }
    await driving;
    expect(statuses).toEqual(["queued", "generating", "storing", "completed"]);
  });

  it("replays the whole history of a finished generation and closes", async () => {
    const created = await create({ prompt: uniquePrompt("steps=failed") });
    await settle(created.id);
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(stubOf(created.id));
    const response = await call(`/v1/generations/${created.id}/stream`);
    const statuses: string[] = [];
    for await (const event of sseEvents(response.body ?? new ReadableStream()))
      statuses.push((JSON.parse(event.data) as Generation).status);
    expect(statuses).toEqual(["queued", "failed"]);
  });

  it("answers 404 for another client's generation", async () => {
    const created = await create({ prompt: uniquePrompt() });
    expect((await call(`/v1/generations/${created.id}/stream`, { as: "bob" })).status).toBe(404);
  });
});

describe("stream links and limits", () => {
  it("replays a finished generation with a link signed at replay time, not the one stored at completion", async () => {
    const created = await create({ prompt: uniquePrompt("steps=completed") });
    await stepUntil(created.id, isStatus("completed"));
    const expiresOf = (url: string | undefined) => Number(new URL(url ?? "http://x/").searchParams.get("expires"));
    const atCompletion = expiresOf((await get(created.id)).video?.url);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const response = await call(`/v1/generations/${created.id}/stream`);
    const replayed: Generation[] = [];
    for await (const event of sseEvents(response.body ?? new ReadableStream()))
      replayed.push(JSON.parse(event.data) as Generation);
    const completed = replayed.at(-1);
    expect(completed?.status).toBe("completed");
    expect(expiresOf(completed?.video?.url)).toBeGreaterThan(atCompletion);
    const stored = await runInDurableObject(stubOf(created.id), (_instance: GenerationObject, ctx) =>
      ctx.storage.sql.exec<{ generation: string }>("SELECT generation FROM snapshots").toArray(),
    );
    expect(stored.map((row) => row.generation).join("")).not.toContain("signature=");
  });

  it(`answers 429 too_many_streams past ${MAX_STREAMS_PER_CLIENT} open streams of one client, and frees a slot when one closes`, async () => {
    const key = `streams-${crypto.randomUUID()}`;
    const bindings = { ...env, RELAY_API_KEYS: `streams-${crypto.randomUUID()}:${key}` };
    const fetchAs = async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${key}`);
      return app.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers }), bindings, createExecutionContext());
    };
    const createdResponse = await fetchAs("/v1/generations", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: uniquePrompt("steps=generating") }),
    });
    expect(createdResponse.status).toBe(202);
    const { id } = await createdResponse.json<Generation>();
    const open: Response[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_CLIENT; i++) {
      const response = await fetchAs(`/v1/generations/${id}/stream`);
      expect(response.status).toBe(200);
      open.push(response);
    }
    const refused = await fetchAs(`/v1/generations/${id}/stream`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect((await refused.json<{ error: { code: string } }>()).error.code).toBe("too_many_streams");
    await open.pop()?.body?.cancel();
    await vi.waitFor(
      async () => {
        const again = await fetchAs(`/v1/generations/${id}/stream`);
        if (again.status !== 200) throw new Error(`still ${again.status}`);
        open.push(again);
      },
      { timeout: 10_000, interval: 100 },
    );
    await Promise.all(open.map((response) => response.body?.cancel()));
    expect((await fetchAs(`/v1/generations/${id}`, { method: "DELETE" })).status).toBe(200);
  });
});
