/**
 * The built-in simulator (docs/api.md#the-simulator, #models) serves every model of the
 * catalogue: any model's body is taken, walks the upstream's status words and
 * ends with the playable MP4 that ships with the project. (The whole path,
 * on `wrangler dev` without AIMLAPI_KEY, is in test/node/e2e.test.ts.)
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MODELS } from "../../src/models/catalogue.ts";
import sampleVideo from "../../public/simulator/sample.mp4";
import { createSimulator, SIMULATOR_VIDEO_URL } from "../../src/upstream/simulator/simulator.ts";
import { sha256Hex, streamSha256 } from "./helpers.ts";

describe("the simulator", () => {
  it("completes every catalogue model with the shipped MP4", async () => {
    let now = 1_000_000;
    const simulator = createSimulator({ durationMs: 10_000, assets: env.ASSETS, now: () => now });
    const sample = await sha256Hex(sampleVideo);
    expect(MODELS.length).toBeGreaterThanOrEqual(140);
    for (const model of MODELS) {
      now = 1_000_000;
      const submitted = await simulator.submit({ model: model.id, prompt: "a raccoon" });
      if (submitted.kind !== "accepted") throw new Error(`${model.id}: ${JSON.stringify(submitted)}`);
      expect(submitted.upstreamId.endsWith(`:${model.id}`)).toBe(true);
      expect(await simulator.poll(submitted.upstreamId)).toMatchObject({
        kind: "status",
        state: "queued",
        word: "queued",
      });
      now += 5_000;
      expect(await simulator.poll(submitted.upstreamId)).toMatchObject({
        kind: "status",
        state: "running",
        word: "generating",
      });
      now += 5_000;
      expect(await simulator.poll(submitted.upstreamId)).toEqual({
        kind: "status",
        state: "completed",
        word: "completed",
        videoUrl: SIMULATOR_VIDEO_URL,
        failure: null,
        credits: null,
      });
    }
    const download = await simulator.download(SIMULATOR_VIDEO_URL);
    if (download.kind !== "ok") throw new Error(JSON.stringify(download));
    // A known length: the copy makes one R2 put, not a multipart upload.
    expect(download.download.contentLength).toBe(sampleVideo.byteLength);
    expect(await streamSha256(download.download.body)).toEqual({ sha256: sample, bytes: sampleVideo.byteLength });
  });
});
