/**
 * Validation per model (src/models/validate.ts): a hand-written corpus over
 * models of many families (one valid body, invalid ones naming the field and
 * the rule), then properties that hold for every model of the catalogue.
 */
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/errors.ts";
import { DEFAULT_MODEL_ID, MODELS, findModel } from "../../src/models/catalogue.ts";
import type { CatalogueModel, FieldSpec } from "../../src/models/types.ts";
import { checkModelInput, resolveModel } from "../../src/models/validate.ts";
import { validateModelInput } from "../../src/models/validate-request.ts";

const URL_IMAGE = "https://media.example.com/frame.png";
const URL_IMAGE_2 = "https://media.example.com/last.jpg";
const URL_VIDEO = "https://media.example.com/clip.mp4";
const URL_AUDIO = "https://media.example.com/voice.mp3";
const DATA_PNG = "data:image/png;base64,iVBORw0KGgo=";
const DATA_JPEG = "data:image/jpeg;base64,/9j/4AAQ";
const DATA_MP4 = "data:video/mp4;base64,AAAAIGZ0eXBpc29t";
const DATA_MP3 = "data:audio/mpeg;base64,SUQzBAAAAAAA";
const UUID = "3f2b8c1e-4d5a-4b6c-8e7f-0a1b2c3d4e5f";

type Body = Record<string, unknown>;
/** A body that must be refused, and the field and rule one of the details must name. */
type Refusal = [why: string, body: Body, field: string, rule: string];
interface Case {
  model: string;
  valid: Body;
  invalid: Refusal[];
}

const CORPUS: Case[] = [
  {
    // The default model: no `model` field at all.
    model: DEFAULT_MODEL_ID,
    valid: {
      prompt: "A raccoon eats ice cream",
      aspect_ratio: "9:16",
      resolution: "1080p",
      duration: 10,
      negative_prompt: "blur",
      seed: 2147483647,
      enable_prompt_expansion: false,
    },
    invalid: [
      ["empty prompt", { prompt: "" }, "prompt", "too_small"],
      ["prompt over 800 characters", { prompt: "a".repeat(801) }, "prompt", "too_big"],
      ["negative_prompt over 500", { prompt: "x", negative_prompt: "n".repeat(501) }, "negative_prompt", "too_big"],
      ["seed over 2^31-1", { prompt: "x", seed: 2147483648 }, "seed", "too_big"],
      ["negative seed", { prompt: "x", seed: -1 }, "seed", "too_small"],
      ["fractional seed", { prompt: "x", seed: 1.5 }, "seed", "invalid_type"],
      ["duration 7", { prompt: "x", duration: 7 }, "duration", "invalid_value"],
      ["resolution 4k", { prompt: "x", resolution: "4k" }, "resolution", "invalid_value"],
      ["aspect ratio 4:3", { prompt: "x", aspect_ratio: "4:3" }, "aspect_ratio", "invalid_value"],
      ["no prompt", { seed: 1 }, "prompt", "required"],
      ["flag as a string", { prompt: "x", enable_prompt_expansion: "yes" }, "enable_prompt_expansion", "invalid_type"],
      [
        "both flag names, different values",
        { prompt: "x", enable_prompt_expansion: true, enhance_prompt: false },
        "enable_prompt_expansion",
        "conflict",
      ],
    ],
  },
  {
    model: "alibaba/wan2.2-i2v-plus",
    valid: { prompt: "The cat turns its head", image_url: URL_IMAGE, resolution: "480P", seed: 7 },
    invalid: [
      ["no image", { prompt: "x" }, "image_url", "required"],
      ["ftp image", { prompt: "x", image_url: "ftp://media.example.com/a.png" }, "image_url", "media"],
      [
        "lower-case resolution",
        { prompt: "x", image_url: URL_IMAGE, resolution: "1080p" },
        "resolution",
        "invalid_value",
      ],
    ],
  },
  {
    model: "alibaba/wan-2-7-r2v",
    valid: { prompt: "Two friends wave", image_urls: [DATA_PNG, URL_IMAGE], video_urls: [URL_VIDEO], watermark: false },
    invalid: [
      ["six reference images", { prompt: "x", image_urls: Array(6).fill(URL_IMAGE) }, "image_urls", "too_big"],
      ["an image in video_urls", { prompt: "x", video_urls: [DATA_PNG] }, "video_urls.0", "media"],
      ["negative_prompt over 500", { prompt: "x", negative_prompt: "n".repeat(501) }, "negative_prompt", "too_big"],
    ],
  },
  {
    model: "alibaba/wan-2-6-r2v",
    valid: { prompt: "A dancer spins", video_urls: [URL_VIDEO], duration: 15, shot_type: "multi" },
    invalid: [
      ["empty video list", { prompt: "x", video_urls: [] }, "video_urls", "too_small"],
      ["no video list", { prompt: "x" }, "video_urls", "required"],
      ["duration 20", { prompt: "x", video_urls: [URL_VIDEO], duration: 20 }, "duration", "invalid_value"],
    ],
  },
  {
    model: "alibaba/wan2.2-14b-animate-move",
    valid: { video_url: DATA_MP4, image_url: URL_IMAGE, resolution: "580p", num_inference_steps: 30, shift: 4.5 },
    invalid: [
      ["no video", { image_url: URL_IMAGE }, "video_url", "required"],
      [
        "resolution 1080p",
        { video_url: URL_VIDEO, image_url: URL_IMAGE, resolution: "1080p" },
        "resolution",
        "invalid_value",
      ],
      [
        "fractional steps",
        { video_url: URL_VIDEO, image_url: URL_IMAGE, num_inference_steps: 2.5 },
        "num_inference_steps",
        "invalid_type",
      ],
    ],
  },
  {
    model: "kling-video/v1.6/standard/text-to-video",
    valid: { prompt: "A paper boat", duration: 10, cfg_scale: 0.5, aspect_ratio: "1:1" },
    invalid: [
      ["cfg_scale above 1", { prompt: "x", cfg_scale: 1.5 }, "cfg_scale", "too_big"],
      ["duration as a word", { prompt: "x", duration: "five" }, "duration", "invalid_value"],
      ["duration as a string outside the enum", { prompt: "x", duration: "7" }, "duration", "invalid_value"],
      ["prompt as a number", { prompt: 42 }, "prompt", "invalid_type"],
    ],
  },
  {
    model: "kling-video/v1.6/standard/multi-image-to-video",
    valid: { image_list: [URL_IMAGE, DATA_JPEG], prompt: "Morph between them" },
    invalid: [
      ["one image", { image_list: [URL_IMAGE] }, "image_list", "too_small"],
      ["five images", { image_list: Array(5).fill(URL_IMAGE) }, "image_list", "too_big"],
      ["no list", { prompt: "x" }, "image_list", "required"],
    ],
  },
  {
    model: "klingai/video-o1-reference-to-video",
    valid: {
      prompt: "The hero walks in",
      elements: [{ reference_image_urls: [URL_IMAGE], frontal_image_url: URL_IMAGE_2 }],
      image_list: [DATA_PNG],
    },
    invalid: [
      ["element without references", { prompt: "x", elements: [{}] }, "elements.0.reference_image_urls", "required"],
      [
        "unknown key in an element",
        { prompt: "x", elements: [{ reference_image_urls: [URL_IMAGE], extra: 1 }] },
        "elements.0.extra",
        "unknown_field",
      ],
      ["prompt over 2500", { prompt: "p".repeat(2501) }, "prompt", "too_big"],
    ],
  },
  {
    model: "klingai/kling-video-v1.6-pro-effects",
    valid: { image_url: [URL_IMAGE, URL_IMAGE_2], effect_scene: "hug" },
    invalid: [
      ["image as a number", { image_url: 5, effect_scene: "hug" }, "image_url", "invalid_union"],
      ["unknown effect", { image_url: URL_IMAGE, effect_scene: "moonwalk" }, "effect_scene", "invalid_value"],
    ],
  },
  {
    model: "klingai/avatar-pro",
    valid: { image_url: DATA_JPEG, audio_url: DATA_MP3, prompt: "Smile" },
    invalid: [
      ["an image as audio", { image_url: URL_IMAGE, audio_url: DATA_PNG }, "audio_url", "media"],
      ["no image", { audio_url: URL_AUDIO }, "image_url", "required"],
    ],
  },
  {
    model: "google/veo-3.1-t2v",
    valid: { prompt: "Waves at dusk", aspect_ratio: "9:16", duration: 6, generate_audio: false, auto_fix: true },
    invalid: [
      ["duration 5", { prompt: "x", duration: 5 }, "duration", "invalid_value"],
      ["aspect ratio 1:1", { prompt: "x", aspect_ratio: "1:1" }, "aspect_ratio", "invalid_value"],
      ["audio flag as a string", { prompt: "x", generate_audio: "false" }, "generate_audio", "invalid_type"],
    ],
  },
  {
    model: "google/veo-3.1-i2v",
    valid: { prompt: "The statue blinks", image_url: "data:image/webp;base64,UklGRg==" },
    invalid: [
      ["no image", { prompt: "x" }, "image_url", "required"],
      ["a video as image", { prompt: "x", image_url: DATA_MP4 }, "image_url", "media"],
    ],
  },
  {
    model: "google/veo-3.1-reference-to-video",
    valid: { prompt: "Same character, new scene", image_urls: [URL_IMAGE, URL_IMAGE_2], duration: 8 },
    invalid: [
      ["images as a string", { prompt: "x", image_urls: URL_IMAGE }, "image_urls", "invalid_type"],
      ["duration 4", { prompt: "x", image_urls: [URL_IMAGE], duration: 4 }, "duration", "invalid_value"],
    ],
  },
  {
    model: "openai/sora-2-t2v",
    valid: { prompt: "A city in the rain", duration: 12, aspect_ratio: "16:9", resolution: "720p" },
    invalid: [
      ["resolution 1080p", { prompt: "x", resolution: "1080p" }, "resolution", "invalid_value"],
      ["duration 10", { prompt: "x", duration: 10 }, "duration", "invalid_value"],
    ],
  },
  {
    model: "openai/sora-2-i2v",
    valid: { prompt: "It starts to snow", image_url: URL_IMAGE },
    invalid: [
      ["no image", { prompt: "x" }, "image_url", "required"],
      ["not a URL", { prompt: "x", image_url: "frame.png" }, "image_url", "media"],
    ],
  },
  {
    model: "minimax/hailuo-02",
    valid: {
      prompt: "A fox in snow",
      image_url: URL_IMAGE,
      last_image_url: URL_IMAGE_2,
      resolution: "1080P",
      duration: 6,
    },
    invalid: [
      ["prompt over 2000", { prompt: "p".repeat(2001) }, "prompt", "too_big"],
      ["lower-case resolution", { prompt: "x", resolution: "768p" }, "resolution", "invalid_value"],
    ],
  },
  {
    model: "minimax/hailuo-2.3-fast",
    valid: { prompt: "Leaves fall", image_url: DATA_PNG, duration: 10 },
    invalid: [
      ["no image", { prompt: "x" }, "image_url", "required"],
      ["duration 8", { prompt: "x", image_url: URL_IMAGE, duration: 8 }, "duration", "invalid_value"],
    ],
  },
  {
    model: "runway/gen4_turbo",
    valid: { image_url: URL_IMAGE, tail_image_url: URL_IMAGE_2, prompt: "Zoom out", seed: 4294967295 },
    invalid: [
      ["seed over 2^32-1", { image_url: URL_IMAGE, seed: 4294967296 }, "seed", "too_big"],
      ["prompt over 1000", { image_url: URL_IMAGE, prompt: "p".repeat(1001) }, "prompt", "too_big"],
    ],
  },
  {
    model: "runway/act_two",
    valid: {
      character: { type: "image", url: DATA_PNG },
      reference: { type: "video", url: URL_VIDEO },
      expression_intensity: 5,
      body_control: true,
    },
    invalid: [
      [
        "audio character",
        { character: { type: "audio", url: URL_AUDIO }, reference: { type: "video", url: URL_VIDEO } },
        "character.type",
        "invalid_union",
      ],
      [
        "an image as the reference video",
        { character: { type: "video", url: URL_VIDEO }, reference: { type: "video", url: DATA_PNG } },
        "reference.url",
        "media",
      ],
      [
        "intensity 6",
        {
          character: { type: "video", url: URL_VIDEO },
          reference: { type: "video", url: URL_VIDEO },
          expression_intensity: 6,
        },
        "expression_intensity",
        "too_big",
      ],
    ],
  },
  {
    model: "runway/gen4_aleph",
    valid: {
      prompt: "Make it winter",
      video_url: URL_VIDEO,
      references: [{ type: "image", url: URL_IMAGE }],
      duration: 5,
    },
    invalid: [
      ["duration 10", { prompt: "x", video_url: URL_VIDEO, duration: 10 }, "duration", "invalid_value"],
      [
        "reference without url",
        { prompt: "x", video_url: URL_VIDEO, references: [{ type: "image" }] },
        "references.0.url",
        "required",
      ],
    ],
  },
  {
    model: "luma/ray-2",
    valid: {
      prompt: "A hot-air balloon",
      keyframes: { frame0: { type: "image", url: URL_IMAGE }, frame1: { type: "generation", id: UUID } },
      loop: true,
      duration: 9,
    },
    invalid: [
      [
        "keyframe id not a UUID",
        { prompt: "x", keyframes: { frame1: { type: "generation", id: "nope" } } },
        "keyframes.frame1.id",
        "invalid_format",
      ],
      ["duration 6", { prompt: "x", duration: 6 }, "duration", "invalid_value"],
    ],
  },
  {
    model: "luma/ray-3.2",
    valid: { prompt: "Reframe it", type: "video_reframe", video_url: URL_VIDEO, hdr: true },
    invalid: [
      ["unknown type", { prompt: "x", type: "remix" }, "type", "invalid_value"],
      ["resolution 4k", { prompt: "x", resolution: "4k" }, "resolution", "invalid_value"],
    ],
  },
  {
    model: "pixverse/v5/transition",
    valid: { prompt: "Day to night", image_url: URL_IMAGE, tail_image_url: DATA_JPEG, style: "clay", duration: 8 },
    invalid: [
      ["no last frame", { prompt: "x", image_url: URL_IMAGE }, "tail_image_url", "required"],
      [
        "unknown style",
        { prompt: "x", image_url: URL_IMAGE, tail_image_url: URL_IMAGE, style: "oil" },
        "style",
        "invalid_value",
      ],
    ],
  },
  {
    model: "pixverse/v5.5/text-to-video",
    valid: { prompt: "A robot paints", thinking_type: "auto", generate_multi_clip_switch: true, resolution: "360p" },
    invalid: [
      ["thinking type on", { prompt: "x", thinking_type: "on" }, "thinking_type", "invalid_value"],
      ["duration 6", { prompt: "x", duration: 6 }, "duration", "invalid_value"],
    ],
  },
  {
    model: "bytedance/seedance-1-0-pro-t2v",
    valid: { prompt: "A kite", camerafixed: true, duration: 5, resolution: "480p" },
    invalid: [
      ["duration 7", { prompt: "x", duration: 7 }, "duration", "invalid_value"],
      ["camerafixed as a string", { prompt: "x", camerafixed: "no" }, "camerafixed", "invalid_type"],
    ],
  },
  {
    model: "bytedance/seedance-2-0",
    valid: {
      prompt: "A music video",
      image_urls: [URL_IMAGE],
      audio_urls: [DATA_MP3],
      video_urls: [URL_VIDEO],
      resolution: "4k",
      duration: 15,
    },
    invalid: [
      ["four audio files", { prompt: "x", audio_urls: Array(4).fill(URL_AUDIO) }, "audio_urls", "too_big"],
      ["a video among images", { prompt: "x", image_urls: [URL_IMAGE, DATA_MP4] }, "image_urls.1", "media"],
      ["malformed data URI", { prompt: "x", image_url: "data:image/png;base64,@@@" }, "image_url", "media"],
    ],
  },
  {
    model: "bytedance/omnihuman",
    valid: { image_url: URL_IMAGE, audio_url: URL_AUDIO },
    invalid: [
      ["no audio", { image_url: URL_IMAGE }, "audio_url", "required"],
      [
        "a prompt it does not take",
        { image_url: URL_IMAGE, audio_url: URL_AUDIO, prompt: "x" },
        "prompt",
        "unknown_field",
      ],
    ],
  },
  {
    model: "veed/fabric-1.0",
    valid: { image_url: DATA_PNG, audio_url: URL_AUDIO, resolution: "720p" },
    invalid: [
      [
        "resolution 1080p",
        { image_url: URL_IMAGE, audio_url: URL_AUDIO, resolution: "1080p" },
        "resolution",
        "invalid_value",
      ],
      ["a video as audio", { image_url: URL_IMAGE, audio_url: DATA_MP4 }, "audio_url", "media"],
    ],
  },
  {
    model: "x-ai/grok-imagine-video",
    valid: { prompt: "A lighthouse", reference_images: [URL_IMAGE], duration: 15 },
    invalid: [
      ["duration 16", { duration: 16 }, "duration", "too_big"],
      ["duration 0", { duration: 0 }, "duration", "too_small"],
      ["empty reference list", { reference_images: [] }, "reference_images", "too_small"],
    ],
  },
  {
    model: "blackforestlabs/flux-3-video-v2v",
    valid: { prompt: "Restyle as watercolour", video_url: URL_VIDEO, duration: 20, safety_tolerance: 0 },
    invalid: [
      ["duration 21", { prompt: "x", video_url: URL_VIDEO, duration: 21 }, "duration", "too_big"],
      ["empty prompt", { prompt: "", video_url: URL_VIDEO }, "prompt", "too_small"],
    ],
  },
  {
    model: "tencent/hunyuan-video-foley",
    valid: { video_url: URL_VIDEO, prompt: "Footsteps on gravel", guidance_scale: 3 },
    invalid: [
      ["no prompt", { video_url: URL_VIDEO }, "prompt", "required"],
      ["an audio file as video", { video_url: DATA_MP3, prompt: "x" }, "video_url", "media"],
    ],
  },
  {
    model: "ltxv/ltxv-2",
    valid: { prompt: "A train", fps: 50, resolution: "2160p", duration: 10 },
    invalid: [
      ["fps 30", { prompt: "x", fps: 30 }, "fps", "invalid_value"],
      ["aspect ratio 9:16", { prompt: "x", aspect_ratio: "9:16" }, "aspect_ratio", "invalid_value"],
    ],
  },
  {
    // Served on a vendor path only in the source.
    model: "wan/v2.1/1.3b/text-to-video",
    valid: { prompt: "A lantern" },
    invalid: [
      ["no prompt", {}, "prompt", "required"],
      ["prompt as a list", { prompt: ["a"] }, "prompt", "invalid_type"],
    ],
  },
];

/** The body as sent: `model` first, except for the default model, which is sent without one. Each refusal body is complete on its own. */
function bodyFor(model: string, fields: Body): Body {
  return model === DEFAULT_MODEL_ID ? fields : { model, ...fields };
}

describe("validation corpus", () => {
  it("spans at least 20 models of at least 12 families", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(20);
    const families = new Set(CORPUS.map((c) => findModel(c.model)?.family));
    expect(families.size).toBeGreaterThanOrEqual(12);
  });

  describe.each(CORPUS)("$model", ({ model, valid, invalid }) => {
    it("accepts a valid body and returns the fields as sent, nothing added", () => {
      const checked = checkModelInput(bodyFor(model, valid));
      expect(checked).toMatchObject({ ok: true, model: { id: model } });
      if (checked.ok) expect(checked.input).toEqual(bodyFor(DEFAULT_MODEL_ID, valid));
    });

    it.each(invalid)("refuses %s, naming the field", (_why, fields, field, rule) => {
      const checked = checkModelInput(bodyFor(model, fields));
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.details).toContainEqual(expect.objectContaining({ field, rule }));
    });

    it("refuses a field the model does not take", () => {
      const checked = checkModelInput(bodyFor(model, { ...valid, not_a_field: 1 }));
      expect(checked).toEqual({
        ok: false,
        details: [{ field: "not_a_field", rule: "unknown_field", message: "not_a_field is not a known field" }],
      });
    });
  });
});

describe("the model field", () => {
  it("defaults to the default model when absent", () => {
    expect(resolveModel(undefined)).toMatchObject({ ok: true, model: { id: DEFAULT_MODEL_ID } });
    expect(checkModelInput({ prompt: "x" })).toMatchObject({ ok: true, model: { id: DEFAULT_MODEL_ID } });
  });

  it("refuses an unknown model, naming model and pointing at GET /v1/models", () => {
    const checked = checkModelInput({ model: "acme/video-9000", prompt: "x" });
    expect(checked).toEqual({
      ok: false,
      details: [
        {
          field: "model",
          rule: "unknown_model",
          message: 'model "acme/video-9000" is not a known model: GET /v1/models lists them',
        },
      ],
    });
  });

  it("refuses a model that is not a string", () => {
    expect(checkModelInput({ model: 42, prompt: "x" })).toEqual({
      ok: false,
      details: [{ field: "model", rule: "invalid_type", message: "model must be a string" }],
    });
  });

  it("shortens a very long unknown id in the message", () => {
    const checked = checkModelInput({ model: "m".repeat(5000) });
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.details[0]?.message.length).toBeLessThan(200);
  });

  it("validateModelInput throws a 400 ApiError carrying every detail", () => {
    let thrown: unknown;
    try {
      validateModelInput({ model: "google/veo-3.1-t2v", duration: 5, extra: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    if (thrown instanceof ApiError) {
      expect(thrown.status).toBe(400);
      expect(thrown.code).toBe("invalid_request");
      expect(thrown.details?.map((d) => [d.field, d.rule])).toEqual([
        ["prompt", "required"],
        ["duration", "invalid_value"],
        ["extra", "unknown_field"],
      ]);
      expect(thrown.message).toBe("prompt is required");
    }
    expect(validateModelInput({ model: "openai/sora-2-t2v", prompt: "x" }).input).toEqual({ prompt: "x" });
  });
});

describe("the default model's flag under both names", () => {
  it("accepts either name, or both with the same value", () => {
    expect(checkModelInput({ prompt: "x", enable_prompt_expansion: false }).ok).toBe(true);
    expect(checkModelInput({ prompt: "x", enhance_prompt: false }).ok).toBe(true);
    expect(checkModelInput({ prompt: "x", enable_prompt_expansion: true, enhance_prompt: true }).ok).toBe(true);
  });

  it("is not accepted under the seed document's name by models whose schema does not have it", () => {
    const checked = checkModelInput({
      model: "alibaba/wan2.5-i2v-preview",
      prompt: "x",
      image_url: URL_IMAGE,
      enable_prompt_expansion: true,
    });
    expect(checked).toMatchObject({
      ok: false,
      details: [{ field: "enable_prompt_expansion", rule: "unknown_field" }],
    });
  });
});

/** A value each spec accepts, built from the spec alone (the smallest list, the first enum value, …). */
function sample(spec: FieldSpec, all: boolean): unknown {
  switch (spec.type) {
    case "string":
      if (spec.enum) return spec.enum[0];
      if (spec.media) return spec.media[0] === "image" ? DATA_PNG : spec.media[0] === "video" ? URL_VIDEO : DATA_MP3;
      if (spec.format === "uuid") return UUID;
      return "a".repeat(Math.max(spec.minLength ?? 1, 1));
    case "integer":
    case "number":
      return spec.enum ? spec.enum[0] : (spec.minimum ?? spec.maximum ?? 1);
    case "boolean":
      return true;
    case "array":
      return Array.from({ length: Math.max(spec.minItems ?? 1, 1) }, () => sample(spec.items, all));
    case "object":
      return sampleFields(spec.properties, all);
    case "union": {
      const first = spec.anyOf[0];
      return first === undefined ? null : sample(first, all);
    }
  }
}

function sampleFields(fields: Record<string, FieldSpec>, all: boolean): Body {
  const body: Body = {};
  for (const [name, spec] of Object.entries(fields)) if (all || spec.required) body[name] = sample(spec, all);
  return body;
}

const requiredNames = (model: CatalogueModel) =>
  Object.entries(model.fields)
    .filter(([, spec]) => spec.required)
    .map(([name]) => name);

describe("every model of the catalogue", () => {
  it.each(MODELS.map((model) => [model.id, model] as const))(
    "%s: accepts its required fields, and all its fields; refuses each missing required field and an unknown one",
    (id, model) => {
      expect(checkModelInput({ model: id, ...sampleFields(model.fields, false) })).toMatchObject({ ok: true });
      expect(checkModelInput({ model: id, ...sampleFields(model.fields, true) })).toMatchObject({ ok: true });
      for (const name of requiredNames(model)) {
        const body: Body = { model: id, ...sampleFields(model.fields, false) };
        delete body[name];
        expect(checkModelInput(body)).toMatchObject({ ok: false, details: [{ field: name, rule: "required" }] });
      }
      expect(checkModelInput({ model: id, ...sampleFields(model.fields, false), zz_unknown: 1 })).toMatchObject({
        ok: false,
        details: [{ field: "zz_unknown", rule: "unknown_field" }],
      });
    },
  );
});
