/**
 * No silent simulator (docs/api.md#the-simulator): `/healthz` names what
 * serves new generations, and without AIMLAPI_KEY a deployment creates
 * nothing unless SIMULATOR=true, on the native and the compatible API alike.
 * The Worker is called with some bindings changed; the generation objects
 * keep the test bindings (AIMLAPI_KEY set), which is what an object created
 * before the key went missing sees too. (The simulator itself, serving with
 * SIMULATOR=true, runs end to end in test/node/e2e.test.ts.)
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { app } from "../../src/app.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import { create, ORIGIN, uniquePrompt, upstreamStats } from "./helpers.ts";

async function callWith(bindings: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const asAlice = { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" };
const post = (bindings: Partial<Env>, path: string, body: unknown) =>
  callWith(bindings, path, { method: "POST", headers: asAlice, body: JSON.stringify(body) });

const NO_UPSTREAM = { AIMLAPI_KEY: "", SIMULATOR: "" };

describe("GET /healthz", () => {
  it.each([
    ["aimlapi", "AIMLAPI_KEY is set", { SIMULATOR: "" }],
    ["aimlapi", "AIMLAPI_KEY is set, whatever SIMULATOR says", { SIMULATOR: "true" }],
    ["simulator", "no AIMLAPI_KEY and SIMULATOR=true", { AIMLAPI_KEY: "", SIMULATOR: "true" }],
    ["simulator", "SIMULATOR=TRUE in any case", { AIMLAPI_KEY: " ", SIMULATOR: "TRUE" }],
    ["not_configured", "neither AIMLAPI_KEY nor SIMULATOR=true", NO_UPSTREAM],
    ["not_configured", "SIMULATOR=false", { AIMLAPI_KEY: "", SIMULATOR: "false" }],
    ["not_configured", "an unreadable SIMULATOR", { AIMLAPI_KEY: "", SIMULATOR: "yes" }],
  ] as const)("answers upstream %s when %s", async (upstream, _when, bindings) => {
    const response = await callWith(bindings, "/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, upstream });
  });
});

describe("a create without an upstream", () => {
  it("answers 503 not_configured naming AIMLAPI_KEY on the native API, and sends nothing anywhere", async () => {
    const prompt = uniquePrompt();
    const response = await post(NO_UPSTREAM, "/v1/generations", { prompt });
    expect(response.status).toBe(503);
    const body = await response.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("not_configured");
    expect(body.error.message).toMatch(/^AIMLAPI_KEY is not set/);
    expect(body.error.message).toContain("SIMULATOR=true");
    expect((await upstreamStats({ prompt })).submits).toBe(0);
    const listed = await callWith(NO_UPSTREAM, "/v1/generations?limit=100", { headers: asAlice });
    const { data } = await listed.json<{ data: Generation[] }>();
    expect(data.some((generation) => generation.input["prompt"] === prompt)).toBe(false);
  });

  it.each(["/v2/video/generations", "/v2/generate/video/kling/generation"])(
    "answers {message, statusCode: 503} naming AIMLAPI_KEY on %s",
    async (path) => {
      const response = await post(NO_UPSTREAM, path, { prompt: uniquePrompt() });
      expect(response.status).toBe(503);
      const body = await response.json<{ message: string; statusCode: number }>();
      expect(body).toEqual({ message: expect.stringMatching(/^AIMLAPI_KEY is not set/), statusCode: 503 });
    },
  );

  it("still reads generations created while the key was set: each keeps its adapter", async () => {
    const created = await create({ prompt: uniquePrompt() });
    expect(created.upstream.adapter).toBe("aimlapi");
    const response = await callWith(NO_UPSTREAM, `/v1/generations/${created.id}`, { headers: asAlice });
    expect(response.status).toBe(200);
    expect((await response.json<Generation>()).upstream.adapter).toBe("aimlapi");
  });

  it("names an unreadable SIMULATOR in a 503 on every API call", async () => {
    const response = await callWith({ SIMULATOR: "yes" }, "/v1/generations", { headers: asAlice });
    expect(response.status).toBe(503);
    expect((await response.json<{ error: { message: string } }>()).error.message).toBe(
      'SIMULATOR must be true or false, got "yes"',
    );
  });
});
