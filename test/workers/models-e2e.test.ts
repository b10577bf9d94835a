/**
 * End to end for models of many families against the local fake upstream
 * (docs/api.md#the-upstream, #compatible-api, #models): submitted on the universal endpoint with exactly
 * the caller's fields, polled, the video copied into R2 byte for byte, and
 * the upstream's quirks (`generation_id` instead of `id`, `succeeded` as the
 * done word) understood. The compatible API serves a Kling model on both the
 * universal path and Kling's vendor path.
 */
import { describe, expect, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import type { CompatGeneration } from "../../src/generation/view.ts";
import sampleVideo from "../../public/simulator/sample.mp4";
import { IMAGE_URL, IMAGE_URL_2 } from "../support/model-corpus.ts";
import {
  call,
  create,
  get,
  isStatus,
  ORIGIN,
  postJson,
  sha256Hex,
  stateOf,
  stepUntil,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
} from "./helpers.ts";

const UNIVERSAL = "/v2/video/generations";

/** [family, model, fields (the prompt is added)]. */
const FAMILIES: [family: string, model: string, fields: Record<string, unknown>][] = [
  ["Wan", "alibaba/wan2.2-i2v-plus", { image_url: IMAGE_URL, resolution: "480P", seed: 7 }],
  ["Kling", "klingai/v2.5-turbo/pro/image-to-video", { image_url: IMAGE_URL, duration: 10, cfg_scale: 0.3 }],
  ["Veo", "google/veo-3.1-t2v", { aspect_ratio: "9:16", duration: 4, generate_audio: false }],
  ["Sora", "openai/sora-2-t2v", { duration: 8 }],
  ["Hailuo", "minimax/hailuo-2.3", { resolution: "1080P", duration: 6, enhance_prompt: false }],
  ["Runway", "runway/gen4_turbo", { image_url: IMAGE_URL, tail_image_url: IMAGE_URL_2, aspect_ratio: "21:9" }],
  ["Luma", "luma/ray-2", { resolution: "720p", loop: true }],
  ["PixVerse", "pixverse/v5/text-to-video", { style: "clay", duration: 5 }],
  ["Seedance", "bytedance/seedance-1-0-pro-t2v", { camerafixed: true, resolution: "720p" }],
];

async function upstreamTask(id: string): Promise<string> {
  const task = (await stateOf(id))?.upstream.id;
  if (task === null || task === undefined) throw new Error("not submitted");
  return task;
}

async function storedVideo(generation: Generation): Promise<ArrayBuffer> {
  const response = await call(`/v1/generations/${generation.id}/video`);
  expect(response.status).toBe(200);
  return response.arrayBuffer();
}

describe.each(FAMILIES)("%s (%s) end to end", (_family, model, extra) => {
  it("completes with the upstream's exact bytes, and the upstream got exactly the caller's fields", async () => {
    const fields = { prompt: uniquePrompt(), ...extra };
    const created = await create({ model, ...fields });
    expect(created.input).toEqual(fields);
    await waitForSubmission(created.id);
    await stepUntil(created.id, isStatus("completed", "failed"));
    const done = await get(created.id);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.model).toBe(model);
    expect(done.input).toEqual(fields);

    const bytes = await storedVideo(done);
    expect(bytes.byteLength).toBe(sampleVideo.byteLength);
    expect(await sha256Hex(bytes)).toBe(await sha256Hex(sampleVideo));
    expect(done.video?.sha256).toBe(await sha256Hex(sampleVideo));

    const task = await upstreamTask(created.id);
    expect(task.endsWith(`:${model}`)).toBe(true);
    const stats = await upstreamStats({ task });
    expect(stats.bodiesByTask[task]).toEqual({ model, ...fields });
    expect(stats.polls).toBeGreaterThanOrEqual(1);
  });
});

describe("every generation is submitted and polled on the universal endpoint", () => {
  it("sends a Wan 2.5 generation to /v2/video/generations, not to the Alibaba path", async () => {
    const before = (await upstreamStats({ prompt: "" })).submitsByPath;
    const prompt = uniquePrompt();
    const created = await create({ prompt });
    await waitForSubmission(created.id);
    const after = (await upstreamStats({ prompt })).submitsByPath;
    expect((after[UNIVERSAL] ?? 0) - (before[UNIVERSAL] ?? 0)).toBeGreaterThanOrEqual(1);
    expect(after["/v2/generate/video/alibaba/generation"] ?? 0).toBe(
      before["/v2/generate/video/alibaba/generation"] ?? 0,
    );
    const task = await upstreamTask(created.id);
    expect((await upstreamStats({ task })).bodiesByTask[task]).toEqual({
      model: "alibaba/wan2.5-t2v-preview",
      prompt,
    });
  });
});

describe("the upstream's quirks", () => {
  it("reads the task id from generation_id when an answer has no id", async () => {
    const created = await create({ model: "google/veo-3.1-t2v", prompt: uniquePrompt("idfield=generation_id") });
    await waitForSubmission(created.id);
    const state = await stateOf(created.id);
    expect(state?.upstream.id).toMatch(/^[0-9a-f-]{36}:google\/veo-3\.1-t2v$/);
    await stepUntil(created.id, isStatus("completed", "failed"));
    expect((await get(created.id)).status).toBe("completed");
  });

  it("takes succeeded as done, with the video", async () => {
    const created = await create({
      model: "openai/sora-2-t2v",
      prompt: uniquePrompt("steps=queued,generating,succeeded"),
    });
    await waitForSubmission(created.id);
    await stepUntil(created.id, isStatus("completed", "failed"));
    const done = await get(created.id);
    expect(done.status).toBe("completed");
    expect(done.upstream.status).toBe("succeeded");
    expect(await sha256Hex(await storedVideo(done))).toBe(await sha256Hex(sampleVideo));
  });

  it("takes both at once", async () => {
    const created = await create({
      model: "luma/ray-2",
      prompt: uniquePrompt("idfield=generation_id steps=active,succeeded"),
    });
    await waitForSubmission(created.id);
    await stepUntil(created.id, isStatus("completed", "failed"));
    expect((await get(created.id)).status).toBe("completed");
  });
});

describe("the compatible API for a Kling model on both path styles", () => {
  const KLING = "klingai/v2.5-turbo/pro/image-to-video";
  const KLING_PATH = "/v2/generate/video/kling/generation";

  async function poll(path: string, id: string): Promise<CompatGeneration> {
    const response = await call(`${path}?generation_id=${encodeURIComponent(id)}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json<CompatGeneration>();
  }

  it.each([
    ["the universal path", UNIVERSAL],
    ["Kling's vendor path", KLING_PATH],
  ])("creates on %s and answers GET ?generation_id= on both, ending completed", async (_name, path) => {
    const fields = { prompt: uniquePrompt(), image_url: IMAGE_URL, duration: 5 };
    const response = await postJson(path, { model: KLING, ...fields });
    expect(response.status, await response.clone().text()).toBe(201);
    const { id, status } = await response.json<{ id: string; status: string }>();
    expect(status).toBe("queued");
    expect((await poll(UNIVERSAL, id)).status).toBe("queued");
    expect((await poll(KLING_PATH, id)).status).toBe("queued");

    await waitForSubmission(id);
    await stepUntil(id, isStatus("completed", "failed"));
    for (const pollPath of [UNIVERSAL, KLING_PATH]) {
      const answer = await poll(pollPath, id);
      expect(answer.status).toBe("completed");
      expect(answer.video?.url.startsWith(`${ORIGIN}/v1/generations/${id}/video?`)).toBe(true);
    }
    const generation = await get(id);
    expect(generation.model).toBe(KLING);
    expect(generation.input).toEqual(fields);
    const task = await upstreamTask(id);
    expect((await upstreamStats({ task })).bodiesByTask[task]).toEqual({ model: KLING, ...fields });
  });

  it("refuses a Kling body that misses its image, in the upstream's error shape, naming the field", async () => {
    const response = await postJson(KLING_PATH, { model: KLING, prompt: uniquePrompt() });
    expect(response.status).toBe(400);
    const body = await response.json<{ message: string; statusCode: number }>();
    expect(body.statusCode).toBe(400);
    expect(body.message).toContain("image_url");
  });

  it.each(["alibaba", "google", "minimax", "runway", "bytedance", "pixverse"])(
    "answers GET ?generation_id= on the %s vendor path too",
    async (vendor) => {
      const created = await create({ model: KLING, prompt: uniquePrompt(), image_url: IMAGE_URL });
      expect((await poll(`/v2/generate/video/${vendor}/generation`, created.id)).id).toBe(created.id);
    },
  );
});
