/**
 * The upstream-compatible API (docs/api.md#compatible-api): code written for the AI/ML
 * API works against the relay by changing only its base URL and key.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { toCompat, type CompatGeneration } from "../../src/generation/view.ts";
import {
  call,
  create,
  get,
  isStatus,
  ORIGIN,
  postJson,
  stateOf,
  stepUntil,
  stubOf,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
  type Client,
  unissuedId,
} from "./helpers.ts";

const LEGACY = "/v2/generate/video/alibaba/generation";
const CURRENT = "/v2/video/generations";
const PATHS = [
  ["the legacy path", LEGACY],
  ["the current path", CURRENT],
] as const;

const RUNNING = ["queued", "waiting", "active", "generating"];

interface UpstreamError {
  message: string;
  statusCode: number;
}

async function submit(
  path: string,
  body: unknown,
  as: Client | null = "alice",
  headers: Record<string, string> = {},
): Promise<{ id: string; generation_id: string; status: string; meta: null }> {
  const response = await postJson(path, body, { as, headers });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<{ id: string; generation_id: string; status: string; meta: null }>();
}

const WAN = "alibaba/wan2.5-t2v-preview";
/** The keys every compatible answer carries besides status, video and error: the id twice, the model, meta. */
const answerOf = (id: string, rest: Record<string, unknown>, model = WAN) => ({
  id,
  generation_id: id,
  ...rest,
  model,
  meta: null,
});

async function poll(path: string, id: string, as: Client = "alice"): Promise<CompatGeneration> {
  const response = await call(`${path}?generation_id=${encodeURIComponent(id)}`, { as });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<CompatGeneration>();
}

async function expectUpstreamError(response: Response, status: number): Promise<UpstreamError> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text) as UpstreamError;
  expect(Object.keys(body).sort()).toEqual(["message", "statusCode"]);
  expect(body.statusCode).toBe(status);
  expect(typeof body.message).toBe("string");
  return body;
}

function signedLinkPattern(id: string): RegExp {
  return new RegExp(
    `^${ORIGIN.replace(/\./g, "\\.")}/v1/generations/${id}/video\\?expires=\\d+&signature=[A-Za-z0-9_-]{43}$`,
  );
}

describe.each(PATHS)("upstream-compatible API on %s", (_name, path) => {
  it("answers POST with 201 {id, generation_id, status: queued, meta}, the id under both names", async () => {
    const response = await postJson(path, { model: "alibaba/wan2.5-t2v-preview", prompt: uniquePrompt() });
    expect(response.status).toBe(201);
    const body = await response.json<{ id: string; generation_id: string; status: string }>();
    expect(body).toEqual({ id: expect.stringMatching(/^gen_/), generation_id: body.id, status: "queued", meta: null });
  });

  it("creates a generation that the native API sees, with the §1 fields", async () => {
    const prompt = uniquePrompt();
    const { id } = await submit(path, { prompt, resolution: "480p", aspect_ratio: "1:1", duration: 10, seed: 3 });
    const generation = await get(id);
    expect(generation.input).toMatchObject({ prompt, resolution: "480p", aspect_ratio: "1:1", duration: 10, seed: 3 });
  });

  it("answers GET ?generation_id= with {id, generation_id, status, video, error, model, meta}, queued at first", async () => {
    const { id } = await submit(path, { prompt: uniquePrompt() });
    expect(await poll(path, id)).toEqual(answerOf(id, { status: "queued", video: null, error: null }));
  });

  it("polls by the generation_id the create answer gave, as clients reading that key do", async () => {
    const { generation_id } = await submit(path, { prompt: uniquePrompt() });
    expect((await poll(path, generation_id)).generation_id).toBe(generation_id);
  });

  it("reports completed with the relay's signed video link, never the upstream's", async () => {
    const { id } = await submit(path, { prompt: uniquePrompt() });
    await waitForSubmission(id);
    await stepUntil(id, isStatus("completed"));
    const answer = await poll(path, id);
    expect(answer.status).toBe("completed");
    expect(answer.error).toBeNull();
    expect(answer.video?.url).toMatch(signedLinkPattern(id));
    expect(answer.video?.url).not.toContain(inject("upstreamUrl"));
  });

  it("hands out a video link that works without the key", async () => {
    const { id } = await submit(path, { prompt: uniquePrompt() });
    await waitForSubmission(id);
    await stepUntil(id, isStatus("completed"));
    const url = (await poll(path, id)).video?.url ?? "";
    const response = await call(url.slice(ORIGIN.length), { as: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("video/mp4");
    expect((await response.arrayBuffer()).byteLength).toBe((await get(id)).video?.bytes);
  });

  it("answers an idempotent replay with the generation's current status, not queued", async () => {
    const body = { prompt: uniquePrompt() };
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const { id, status } = await submit(path, body, "alice", headers);
    expect(status).toBe("queued");
    await waitForSubmission(id);
    await stepUntil(id, isStatus("completed"));
    expect(await submit(path, body, "alice", headers)).toEqual({
      id,
      generation_id: id,
      status: "completed",
      meta: null,
    });
    expect((await upstreamStats({ prompt: body.prompt })).submits).toBe(1);
  });

  it("says generating, without a video, while the video is being stored", async () => {
    // The copy runs in the alarm that found the video; a failing copy keeps it in storing.
    const { id } = await submit(path, { prompt: uniquePrompt("download=500") });
    await waitForSubmission(id);
    await stepUntil(id, isStatus("storing"));
    expect(await poll(path, id)).toEqual(answerOf(id, { status: "generating", video: null, error: null }));
  });

  it("takes enhance_prompt as the default model's prompt-expansion flag, sent upstream as given", async () => {
    const { id } = await submit(path, { prompt: uniquePrompt(), enhance_prompt: false });
    const generation = await get(id);
    expect(generation.input.enhance_prompt).toBe(false);
    await waitForSubmission(id);
    const task = (await stateOf(id))?.upstream.id ?? "";
    expect((await upstreamStats({ task })).bodiesByTask[task]).toMatchObject({ enhance_prompt: false });
  });

  it("sends enable_prompt_expansion upstream under the published name enhance_prompt", async () => {
    const prompt = uniquePrompt();
    const { id } = await submit(path, { prompt, enable_prompt_expansion: false });
    expect((await get(id)).input).toEqual({ prompt, enable_prompt_expansion: false });
    await waitForSubmission(id);
    const task = (await stateOf(id))?.upstream.id ?? "";
    expect((await upstreamStats({ task })).bodiesByTask[task]).toEqual({
      model: "alibaba/wan2.5-t2v-preview",
      prompt,
      enhance_prompt: false,
    });
  });

  it("refuses enhance_prompt and enable_prompt_expansion with different values: they are one flag", async () => {
    const body = { prompt: uniquePrompt(), enhance_prompt: false, enable_prompt_expansion: true };
    const error = await expectUpstreamError(await postJson(path, body), 400);
    expect(error.message).toContain("enable_prompt_expansion");
    expect(error.message).toContain("enhance_prompt");
  });

  it("adds no defaults: the input is the body as sent", async () => {
    const prompt = uniquePrompt();
    const { id } = await submit(path, { prompt });
    const generation = await get(id);
    expect(generation.input).toEqual({ prompt });
    expect(generation.model).toBe("alibaba/wan2.5-t2v-preview");
  });

  it("accepts a webhook_url", async () => {
    const { id } = await submit(path, { prompt: uniquePrompt(), webhook_url: "https://hooks.example.com/wan" });
    expect((await get(id)).webhook?.url).toBe("https://hooks.example.com/wan");
  });

  it("answers 401 {message, statusCode} without a key", async () => {
    const prompt = uniquePrompt();
    await expectUpstreamError(await postJson(path, { prompt }, { as: null }), 401);
    expect((await upstreamStats({ prompt: prompt })).submits).toBe(0);
  });

  it("answers 401 on GET without a key", async () => {
    await expectUpstreamError(await call(`${path}?generation_id=${unissuedId()}`, { as: null }), 401);
  });

  it("answers 400 naming prompt when it is missing", async () => {
    const error = await expectUpstreamError(await postJson(path, { resolution: "720p" }), 400);
    expect(error.message).toContain("prompt");
  });

  it("answers 400 naming the field for an out-of-range value", async () => {
    const error = await expectUpstreamError(await postJson(path, { prompt: uniquePrompt(), duration: 7 }), 400);
    expect(error.message).toContain("duration");
  });

  it("answers 400 for malformed JSON", async () => {
    await expectUpstreamError(await postJson(path, "{not json"), 400);
  });

  it("answers 415 in the upstream's shape for a non-JSON body", async () => {
    await expectUpstreamError(await postJson(path, "prompt=x", { headers: { "Content-Type": "text/plain" } }), 415);
  });

  it("refuses a native-only field such as metadata", async () => {
    const error = await expectUpstreamError(await postJson(path, { prompt: uniquePrompt(), metadata: {} }), 400);
    expect(error.message).toContain("metadata");
  });

  it("answers 404 for an unknown generation_id", async () => {
    await expectUpstreamError(await call(`${path}?generation_id=${unissuedId()}`), 404);
  });

  it("answers 404 for a malformed generation_id, and for an upstream-style task id", async () => {
    await expectUpstreamError(await call(`${path}?generation_id=nope`), 404);
    const upstreamStyle = `${crypto.randomUUID()}:alibaba/wan2.5-t2v-preview`;
    await expectUpstreamError(await call(`${path}?generation_id=${encodeURIComponent(upstreamStyle)}`), 404);
  });

  it("answers 404 for another client's generation", async () => {
    const { id } = await submit(path, { prompt: uniquePrompt() });
    await expectUpstreamError(await call(`${path}?generation_id=${id}`, { as: "bob" }), 404);
  });

  it("answers 400 for a missing or empty generation_id", async () => {
    const missing = await expectUpstreamError(await call(path), 400);
    expect(missing.message).toContain("generation_id");
    await expectUpstreamError(await call(`${path}?generation_id=`), 400);
  });

  it("keeps the upstream's error shape for an unknown /v2 route", async () => {
    await expectUpstreamError(await call(`${path}/nothing-here`), 404);
  });
});

describe("the seed client's loop against the relay", () => {
  it("polls until the status leaves queued/waiting/active/generating and ends completed with a video url", async () => {
    // What the seed Python client does: POST, then GET with generation_id every 10 s.
    const { id, status } = await submit(LEGACY, { prompt: uniquePrompt(), resolution: "720p", duration: 5 });
    expect(status).toBe("queued");
    await waitForSubmission(id);
    const seen: string[] = [];
    let answer = await poll(LEGACY, id);
    for (let round = 0; round < 30 && RUNNING.includes(answer.status); round++) {
      seen.push(answer.status);
      await runDurableObjectAlarm(stubOf(id)); // the relay's poll, where the seed client sleeps
      answer = await poll(LEGACY, id);
    }
    seen.push(answer.status);
    expect(answer.status).toBe("completed");
    expect(answer.video?.url).toMatch(signedLinkPattern(id));
    // Only the compat vocabulary, in lifecycle order.
    const order = ["queued", "generating", "completed"];
    expect(seen.every((s) => order.includes(s))).toBe(true);
    expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort());
    expect(seen).toContain("generating");
  });

  it("reports a failed generation as error with a message", async () => {
    const { id } = await submit(LEGACY, { prompt: uniquePrompt("steps=queued,generating,failed") });
    await waitForSubmission(id);
    await stepUntil(id, isStatus("failed", "completed"));
    const answer = await poll(LEGACY, id);
    expect(answer.status).toBe("error");
    expect(answer.video).toBeNull();
    expect(answer.error).toEqual({ name: expect.any(String), message: expect.any(String) });
  });

  it("reports a generation canceled through the native API as error", async () => {
    const { id } = await submit(CURRENT, { prompt: uniquePrompt() });
    expect((await call(`/v1/generations/${id}`, { method: "DELETE" })).status).toBe(200);
    expect(await poll(CURRENT, id)).toEqual(
      answerOf(id, { status: "error", video: null, error: { name: "canceled", message: expect.any(String) } }),
    );
  });

  it("sees a generation created on the native API on both compat paths", async () => {
    const generation = await create({ prompt: uniquePrompt() });
    expect((await poll(LEGACY, generation.id)).id).toBe(generation.id);
    expect((await poll(CURRENT, generation.id)).id).toBe(generation.id);
  });
});

describe("toCompat", () => {
  const base: Generation = {
    id: "gen_01m8aw3ez863vf7kr5q93n8c8a",
    object: "generation",
    model: "alibaba/wan2.5-t2v-preview",
    status: "queued",
    input: { prompt: "p", aspect_ratio: "16:9", resolution: "720p", enable_prompt_expansion: true },
    upstream: { id: null, status: null, polls: 0, adapter: "aimlapi", credits: null },
    video: null,
    error: null,
    webhook: null,
    metadata: {},
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
    completed_at: null,
    expires_at: null,
  };
  const video = {
    url: `${ORIGIN}/v1/generations/${base.id}/video?expires=1&signature=s`,
    content_type: "video/mp4",
    bytes: 10,
    sha256: "ab",
  };

  it("maps queued to queued", () => {
    expect(toCompat(base)).toEqual(answerOf(base.id, { status: "queued", video: null, error: null }));
  });

  it("maps generating to generating", () => {
    expect(toCompat({ ...base, status: "generating" }).status).toBe("generating");
  });

  it("maps storing to generating, with no video even if one is known", () => {
    expect(toCompat({ ...base, status: "storing", video })).toEqual(
      answerOf(base.id, { status: "generating", video: null, error: null }),
    );
  });

  it("maps completed to completed with the video url only", () => {
    expect(toCompat({ ...base, status: "completed", video })).toEqual(
      answerOf(base.id, { status: "completed", video: { url: video.url }, error: null }),
    );
  });

  it("maps failed to error, carrying the code as name", () => {
    const error = { code: "timeout" as const, message: "no terminal state within 1800 s" };
    expect(toCompat({ ...base, status: "failed", error })).toEqual(
      answerOf(base.id, { status: "error", video: null, error: { name: "timeout", message: error.message } }),
    );
  });

  it("maps canceled to error named canceled", () => {
    expect(toCompat({ ...base, status: "canceled" })).toEqual(
      answerOf(base.id, { status: "error", video: null, error: { name: "canceled", message: expect.any(String) } }),
    );
  });

  it("names the generation's model, whichever it is", () => {
    expect(toCompat({ ...base, model: "klingai/v2.5-turbo/pro/text-to-video" }).model).toBe(
      "klingai/v2.5-turbo/pro/text-to-video",
    );
  });
});
