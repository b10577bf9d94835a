/**
 * The committed catalogue (src/models/catalogue-data.ts, written by
 * `npm run sync-models` from aimlapi/api-docs): its size, its shape, and the
 * seed document's limits on the default model. The script itself is tested on
 * fixture files in test/node/sync-models.test.ts.
 */
import { describe, expect, it } from "vitest";
import { CATALOGUE_SOURCE, DEFAULT_MODEL_ID, MODELS, MODEL_KINDS, findModel } from "../../src/models/catalogue.ts";
import type { FieldSpec } from "../../src/models/types.ts";
import { DEFAULT_MODEL_ID as DEFAULT_MODEL } from "../../src/vocabulary.ts";

const VENDOR_PATH = /^\/v2\/generate\/video\/(alibaba|kling|google|minimax|runway|bytedance|pixverse)\/generation$/;

function forEachField(fields: Record<string, FieldSpec>, visit: (name: string, field: FieldSpec) => void): void {
  const walk = (name: string, field: FieldSpec): void => {
    visit(name, field);
    if (field.type === "array") walk(`${name}[]`, field.items);
    if (field.type === "object")
      for (const [key, value] of Object.entries(field.properties)) walk(`${name}.${key}`, value);
    if (field.type === "union") field.anyOf.forEach((branch, i) => walk(`${name}|${i}`, branch));
  };
  for (const [name, field] of Object.entries(fields)) walk(name, field);
}

describe("the committed model catalogue", () => {
  it("has at least 140 models, sorted by id, each id once, from a known commit of aimlapi/api-docs", () => {
    expect(MODELS.length).toBeGreaterThanOrEqual(140);
    const ids = MODELS.map((model) => model.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(CATALOGUE_SOURCE.repository).toBe("aimlapi/api-docs");
    expect(CATALOGUE_SOURCE.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it("covers the families the contract names", () => {
    const families = new Set(MODELS.map((model) => model.family));
    for (const family of [
      "alibaba",
      "kling",
      "google",
      "openai",
      "minimax",
      "runway",
      "luma",
      "pixverse",
      "bytedance",
    ]) {
      expect(families).toContain(family);
    }
    const wan = MODELS.filter((model) => /wan/.test(model.id) && model.family === "alibaba");
    expect(new Set(wan.map((model) => model.kind))).toEqual(
      new Set(["text-to-video", "image-to-video", "reference-to-video", "video-to-video"]),
    );
  });

  it("gives every model a known kind, at least one relay path, and at least one field", () => {
    for (const model of MODELS) {
      expect(MODEL_KINDS, model.id).toContain(model.kind);
      expect(model.paths.length, model.id).toBeGreaterThan(0);
      for (const path of model.paths)
        expect(path === "/v2/video/generations" || VENDOR_PATH.test(path), path).toBe(true);
      expect(Object.keys(model.fields).length, model.id).toBeGreaterThan(0);
      expect(model.fields, model.id).not.toHaveProperty("model");
    }
  });

  it("keeps facts only: bounds are ordered, enums non-empty, defaults of the field's own type", () => {
    for (const model of MODELS) {
      forEachField(model.fields, (name, field) => {
        const where = `${model.id} ${name}`;
        if (field.type === "string") {
          if (field.enum) expect(field.enum.length, where).toBeGreaterThan(0);
          if (field.default !== undefined) expect(typeof field.default, where).toBe("string");
          if (field.minLength !== undefined && field.maxLength !== undefined) {
            expect(field.minLength, where).toBeLessThanOrEqual(field.maxLength);
          }
          expect(field.enum !== undefined && field.media !== undefined, where).toBe(false);
        }
        if (field.type === "integer" || field.type === "number") {
          if (field.default !== undefined) expect(typeof field.default, where).toBe("number");
          if (field.minimum !== undefined && field.maximum !== undefined) {
            expect(field.minimum, where).toBeLessThanOrEqual(field.maximum);
          }
        }
        if (field.type === "boolean" && field.default !== undefined)
          expect(typeof field.default, where).toBe("boolean");
        if (field.type === "array" && field.minItems !== undefined && field.maxItems !== undefined) {
          expect(field.minItems, where).toBeLessThanOrEqual(field.maxItems);
        }
      });
    }
  });

  it("marks the media fields the contract lists as media, and the common non-media ones as not", () => {
    const mediaNames = new Map<string, Set<string>>();
    const plainNames = new Set<string>();
    for (const model of MODELS) {
      forEachField(model.fields, (name, field) => {
        const media = field.type === "string" ? field.media : undefined;
        if (media) for (const type of media) mediaNames.set(name, (mediaNames.get(name) ?? new Set()).add(type));
        else if (field.type === "string") plainNames.add(name);
      });
    }
    const expectMedia = (name: string, type: string) => expect(mediaNames.get(name), name).toContain(type);
    expectMedia("image_url", "image");
    expectMedia("last_image_url", "image");
    expectMedia("tail_image_url", "image");
    expectMedia("first_frame_image", "image");
    expectMedia("video_url", "video");
    expectMedia("audio_url", "audio");
    for (const list of ["image_urls", "reference_image_urls", "image_list"]) expectMedia(`${list}[]`, "image");
    expectMedia("video_urls[]", "video");
    expectMedia("audio_urls[]", "audio");
    for (const plain of ["prompt", "negative_prompt", "aspect_ratio", "resolution", "provider"]) {
      expect(mediaNames.has(plain), plain).toBe(false);
      expect(plainNames, plain).toContain(plain);
    }
  });

  it("contains the default model with the seed document's limits, enable_prompt_expansion and enhance_prompt as one flag", () => {
    expect(DEFAULT_MODEL_ID).toBe(DEFAULT_MODEL);
    const model = findModel(DEFAULT_MODEL_ID);
    expect(model).toBeDefined();
    expect(model?.kind).toBe("text-to-video");
    expect(model?.paths).toEqual(["/v2/generate/video/alibaba/generation", "/v2/video/generations"]);
    expect(model?.fields).toMatchObject({
      prompt: { type: "string", required: true, minLength: 1, maxLength: 800 },
      negative_prompt: { type: "string", maxLength: 500 },
      aspect_ratio: { type: "string", enum: ["16:9", "9:16", "1:1"], default: "16:9" },
      resolution: { type: "string", enum: ["480p", "720p", "1080p"], default: "720p" },
      duration: { type: "integer", enum: [5, 10] },
      seed: { type: "integer", minimum: 0, maximum: 2147483647 },
      enhance_prompt: { type: "boolean", default: true },
      enable_prompt_expansion: { type: "boolean", default: true, sameAs: "enhance_prompt" },
    });
    expect(Object.keys(model?.fields ?? {}).sort()).toEqual(
      [
        "aspect_ratio",
        "duration",
        "enable_prompt_expansion",
        "enhance_prompt",
        "negative_prompt",
        "prompt",
        "resolution",
        "seed",
      ].sort(),
    );
  });

  it("finds models by id, ids with slashes included, and nothing for an unknown id", () => {
    expect(findModel("kling-video/v1.6/standard/text-to-video")?.family).toBe("kling");
    expect(findModel("google/veo-3.1-t2v")?.kind).toBe("text-to-video");
    expect(findModel("alibaba/wan-2-7-r2v")?.kind).toBe("reference-to-video");
    expect(findModel("klingai/avatar-pro")?.kind).toBe("avatar");
    expect(findModel("runway/gen4_aleph")?.kind).toBe("video-to-video");
    expect(findModel("openai/sora-2-i2v")?.kind).toBe("image-to-video");
    expect(findModel("no/such-model")).toBeUndefined();
  });
});
