/**
 * GET /v1/generations/{id}/stream: one server-sent event per status change,
 * closed after the terminal state.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Generation } from "../../src/generation/schema.ts";
import { call, create, settle, stubOf, uniquePrompt } from "./helpers.ts";

async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
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
