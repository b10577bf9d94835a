/**
 * The SSE stream in real time (POLL_INTERVAL_SECONDS=0.1,
 * GENERATION_TIMEOUT_SECONDS=2): changes arrive as the object makes them,
 * without the route polling it, and an idle stream gets keep-alive comments
 * (every second at this poll interval) until its terminal event.
 */
import { describe, expect, it } from "vitest";
import type { Generation } from "../../../src/api/schemas.ts";
import { call, create, uniquePrompt } from "../helpers.ts";

/** The whole text of an SSE response (it closes after the terminal event). */
async function readAll(response: Response): Promise<string> {
  return new Response(response.body).text();
}

describe("GET /v1/generations/{id}/stream in real time", () => {
  it("sends keep-alive comments while nothing changes, then the terminal event, and closes", async () => {
    // Generating until the 2 s deadline: about 2 s without a status change.
    const created = await create({ prompt: uniquePrompt("steps=queued,generating") });
    const response = await call(`/v1/generations/${created.id}/stream`);
    expect(response.status).toBe(200);
    const text = await readAll(response);
    expect(text).toMatch(/^: keep-alive$/m);
    const statuses = [...text.matchAll(/^data: (.*)$/gm)].map(
      (match) => (JSON.parse(match[1] ?? "{}") as Generation).status,
    );
    expect(statuses.at(-1)).toBe("failed");
    expect(statuses).toContain("generating");
  });

  it("delivers every status change of a generation that completes while the stream is open", async () => {
    const created = await create({ prompt: uniquePrompt("steps=queued,generating,completed") });
    const text = await readAll(await call(`/v1/generations/${created.id}/stream`));
    const statuses = [...text.matchAll(/^data: (.*)$/gm)].map(
      (match) => (JSON.parse(match[1] ?? "{}") as Generation).status,
    );
    expect(statuses).toEqual(["queued", "generating", "storing", "completed"]);
  });
});
