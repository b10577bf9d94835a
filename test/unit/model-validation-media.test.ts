/**
 * Media values (src/models/media.ts), the media walk and the alias renaming of
 * src/models/validate.ts, and the JSON Schema each model shows.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL_ID, MODELS, findModel } from "../../src/models/catalogue.ts";
import { describeMediaTypes, isHttpUrl, mediaProblem, parseDataUri } from "../../src/models/media.ts";
import type { CatalogueModel } from "../../src/models/types.ts";
import {
  checkModelInput,
  collectMedia,
  inputsJsonSchema,
  mapMedia,
  toUpstreamFields,
  zodFor,
} from "../../src/models/validate.ts";

function model(id: string): CatalogueModel {
  const found = findModel(id);
  if (found === undefined) throw new Error(`${id} is not in the catalogue`);
  return found;
}

const PNG = "data:image/png;base64,iVBORw0KGgo=";

describe("parseDataUri", () => {
  it.each([
    ["data:image/png;base64,", 0],
    ["data:image/png;base64,QQ==", 1],
    ["data:image/png;base64,QUI=", 2],
    ["data:image/png;base64,QUJD", 3],
    [PNG, 8],
  ])("counts the decoded bytes of %s without decoding: %i", (uri, bytes) => {
    expect(parseDataUri(uri)?.bytes).toBe(bytes);
  });

  it("reads the media type in lower case, without parameters, and keeps the base64 text as is", () => {
    expect(parseDataUri("data:Video/MP4;name=clip.mp4;base64,AAAA")).toEqual({
      mediaType: "video/mp4",
      kind: "video",
      bytes: 3,
      base64: "AAAA",
    });
    expect(parseDataUri("DATA:audio/mpeg;base64,SUQz")?.kind).toBe("audio");
    expect(parseDataUri("data:text/plain;base64,QUJD")).toMatchObject({ mediaType: "text/plain", kind: null });
  });

  it.each([
    ["not base64", "data:image/png,rawbytes"],
    ["no media type", "data:;base64,QUJD"],
    ["bad characters", "data:image/png;base64,QU$D"],
    ["length not a multiple of 4", "data:image/png;base64,QUJDR"],
    ["padding in the middle", "data:image/png;base64,QQ==QUJD"],
    ["base64url alphabet", "data:image/png;base64,-_-_"],
    ["a URL", "https://example.com/a.png"],
  ])("is null for %s", (_why, value) => {
    expect(parseDataUri(value)).toBeNull();
  });
});

describe("isHttpUrl", () => {
  it.each([
    ["https://media.example.com/a.png", true],
    ["http://127.0.0.1:8080/clip.mp4?sig=1", true],
    ["HTTPS://EXAMPLE.COM/A.PNG", true],
    ["ftp://example.com/a.png", false],
    ["https://", false],
    ["//example.com/a.png", false],
    ["a.png", false],
    ["javascript:alert(1)", false],
    ["https://exa mple.com/", false],
  ])("%s → %s", (value, expected) => {
    expect(isHttpUrl(value)).toBe(expected);
  });
});

describe("mediaProblem", () => {
  it("accepts a URL or a data: URI of an accepted type", () => {
    expect(mediaProblem("https://example.com/a", ["image"])).toBeNull();
    expect(mediaProblem(PNG, ["image"])).toBeNull();
    expect(mediaProblem("data:video/mp4;base64,AAAA", ["image", "video"])).toBeNull();
  });

  it("says what is wrong", () => {
    expect(mediaProblem("data:video/mp4;base64,AAAA", ["image"])).toBe("must be an image, not video/mp4");
    expect(mediaProblem("data:image/png;base64,@@", ["image"])).toMatch(/^must be a base64 data: URI/);
    expect(mediaProblem("file:///etc/passwd", ["audio"])).toBe(
      "must be an http(s) URL or a base64 data: URI of an audio file",
    );
    expect(describeMediaTypes(["image", "video", "audio"])).toBe("an image, a video or an audio file");
  });
});

describe("zodFor", () => {
  it("checks a URL that is not media (none in the catalogue today) as any URL", () => {
    const schema = zodFor({ type: "string", format: "uri" });
    expect(schema.safeParse("mailto:someone@example.com").success).toBe(true);
    expect(schema.safeParse("not a url").success).toBe(false);
  });

  it("builds one schema per spec and reuses it", () => {
    const spec = { type: "integer" as const, minimum: 1 };
    expect(zodFor(spec)).toBe(zodFor(spec));
  });
});

describe("collectMedia and mapMedia", () => {
  const actTwo = model("runway/act_two");
  const actTwoInput = {
    character: { type: "image", url: PNG },
    reference: { type: "video", url: "https://media.example.com/ref.mp4" },
    expression_intensity: 3,
  };

  it("finds media at any depth, through unions, with the path and the accepted types", () => {
    expect(checkModelInput({ model: actTwo.id, ...actTwoInput }).ok).toBe(true);
    expect(collectMedia(actTwo, actTwoInput)).toEqual([
      {
        path: ["character", "url"],
        field: "character.url",
        value: PNG,
        accepted: ["image"],
        data: { mediaType: "image/png", kind: "image", bytes: 8, base64: "iVBORw0KGgo=" },
      },
      {
        path: ["reference", "url"],
        field: "reference.url",
        value: "https://media.example.com/ref.mp4",
        accepted: ["video"],
        data: null,
      },
    ]);
  });

  it("finds media in lists and in lists of objects", () => {
    const o1 = model("klingai/video-o1-reference-to-video");
    const input = {
      prompt: "x",
      image_list: ["https://media.example.com/1.png", PNG],
      elements: [{ reference_image_urls: [PNG], frontal_image_url: "https://media.example.com/f.png" }],
    };
    expect(collectMedia(o1, input).map((m) => m.field)).toEqual([
      "image_list.0",
      "image_list.1",
      "elements.0.reference_image_urls.0",
      "elements.0.frontal_image_url",
    ]);
  });

  it("replaces each media value in a copy, leaving the rest and the original alone", () => {
    const copy = mapMedia(actTwo, actTwoInput, (media) =>
      media.data === null ? media.value : { type: media.data.mediaType, bytes: media.data.bytes },
    );
    expect(copy).toEqual({
      character: { type: "image", url: { type: "image/png", bytes: 8 } },
      reference: { type: "video", url: "https://media.example.com/ref.mp4" },
      expression_intensity: 3,
    });
    expect(actTwoInput.character.url).toBe(PNG);
  });

  it("refuses a data: URI over maxInlineMediaBytes, naming the field, when asked to", () => {
    const body = {
      model: "bytedance/seedance-2-0",
      prompt: "x",
      image_urls: ["https://media.example.com/a.png", "data:image/png;base64,QUJDRA=="],
    };
    expect(checkModelInput(body, { maxInlineMediaBytes: 4 }).ok).toBe(true);
    expect(checkModelInput(body, { maxInlineMediaBytes: 3 })).toEqual({
      ok: false,
      details: [
        {
          field: "image_urls.1",
          rule: "too_large",
          message: "image_urls.1 must be at most 3 bytes once decoded, got 4",
        },
      ],
    });
  });
});

describe("toUpstreamFields", () => {
  const wan25 = model(DEFAULT_MODEL_ID);

  it("sends the seed document's flag under the published name, in the caller's order", () => {
    const upstream = toUpstreamFields(wan25, { prompt: "x", enable_prompt_expansion: false, seed: 3 });
    expect(upstream).toEqual({ prompt: "x", enhance_prompt: false, seed: 3 });
    expect(Object.keys(upstream)).toEqual(["prompt", "enhance_prompt", "seed"]);
  });

  it("sends the flag once when both names came (with the same value)", () => {
    expect(toUpstreamFields(wan25, { prompt: "x", enhance_prompt: true, enable_prompt_expansion: true })).toEqual({
      prompt: "x",
      enhance_prompt: true,
    });
  });

  it("changes nothing for a model without aliases", () => {
    const input = { prompt: "x", image_url: PNG, duration: 8 };
    expect(toUpstreamFields(model("openai/sora-2-i2v"), input)).toEqual(input);
  });
});

describe("inputsJsonSchema", () => {
  it("gives the default model's fields as JSON Schema 2020-12 with the seed document's limits", () => {
    expect(inputsJsonSchema(model(DEFAULT_MODEL_ID))).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: {
        prompt: { type: "string", minLength: 1, maxLength: 800 },
        resolution: { type: "string", enum: ["480p", "720p", "1080p"], default: "720p" },
        aspect_ratio: { type: "string", enum: ["16:9", "9:16", "1:1"], default: "16:9" },
        duration: {
          anyOf: [
            { type: "integer", enum: [5, 10] },
            { type: "string", enum: ["5", "10"], "x-numeric-string": true },
          ],
          description: 'An integer, or the same number as a decimal string ("5"), sent upstream as given',
          default: 10,
        },
        negative_prompt: { type: "string", maxLength: 500 },
        seed: {
          anyOf: [
            { type: "integer", minimum: 0, maximum: 2147483647 },
            { type: "string", pattern: "^-?(0|[1-9][0-9]*)$", "x-numeric-string": true },
          ],
          description:
            'An integer, or the same number as a decimal string ("5") within the same bounds, sent upstream as given',
        },
        enhance_prompt: { type: "boolean", default: true },
        enable_prompt_expansion: { type: "boolean", default: true, "x-same-as": "enhance_prompt" },
      },
      required: ["prompt"],
      additionalProperties: false,
    });
  });

  it("marks media fields (format uri, x-media), lists, unions and nested objects", () => {
    const schema = inputsJsonSchema(model("runway/act_two")) as { properties: Record<string, unknown> };
    expect(schema.properties["reference"]).toEqual({
      type: "object",
      properties: {
        type: { type: "string", enum: ["video"] },
        url: { type: "string", format: "uri", "x-media": ["video"] },
      },
      required: ["type", "url"],
      additionalProperties: false,
    });
    expect(schema.properties["character"]).toMatchObject({ oneOf: [{ type: "object" }, { type: "object" }] });

    const seedance = inputsJsonSchema(model("bytedance/seedance-2-0")) as { properties: Record<string, unknown> };
    expect(seedance.properties["audio_urls"]).toEqual({
      type: "array",
      items: { type: "string", format: "uri", "x-media": ["audio"] },
      minItems: 1,
      maxItems: 3,
    });

    const effects = inputsJsonSchema(model("klingai/kling-video-v1.6-pro-effects")) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(effects.properties["image_url"]).toEqual({
      anyOf: [
        { type: "string", format: "uri", "x-media": ["image"] },
        { type: "array", items: { type: "string", format: "uri", "x-media": ["image"] } },
      ],
    });
    expect(effects.required).toEqual(["image_url", "effect_scene"]);
  });

  it("exists for every model, lists exactly its fields and its required ones, never `model`, and is cached", () => {
    for (const row of MODELS) {
      const schema = inputsJsonSchema(row) as { properties: Record<string, unknown>; required?: string[] };
      expect(Object.keys(schema.properties), row.id).toEqual(Object.keys(row.fields));
      const required = Object.entries(row.fields)
        .filter(([, field]) => field.required)
        .map(([name]) => name);
      expect(schema.required ?? [], row.id).toEqual(required);
      expect(inputsJsonSchema(row)).toBe(schema);
      expect(() => JSON.stringify(schema)).not.toThrow();
    }
  });
});
