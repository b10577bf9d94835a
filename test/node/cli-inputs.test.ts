/**
 * The CLI's `--input name=value` (src/cli/inputs.ts): values read as JSON
 * when they parse, names repeated into lists, and a local file in a media
 * field (as `GET /v1/models/{id}` marks it) turned into a `data:` URI of its
 * exact bytes with the media type of its extension, at any depth of the
 * model's schema, while every other value is left as given.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/errors.ts";
import { fileToDataUri, filesToDataUris, mentionsFile, parseInputs } from "../../src/cli/inputs.ts";
import { findModel } from "../../src/models/catalogue.ts";
import { inputsJsonSchema } from "../../src/models/validate.ts";

interface Schema {
  properties: Record<string, unknown>;
}

/** A model's input schema as the relay serves it (the same function builds both). */
function propertiesOf(id: string): Record<string, unknown> {
  const model = findModel(id);
  if (model === undefined) throw new Error(`${id} is not in the catalogue`);
  return (inputsJsonSchema(model) as unknown as Schema).properties;
}

let dir: string;
let png: string;
let wav: string;
let odd: string;
const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 254, 255]);
const WAV_BYTES = Buffer.from("RIFF\u0000\u0000\u0000\u0000WAVEfmt ", "latin1");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "wan-relay-cli-inputs-"));
  png = join(dir, "Frame.PNG");
  wav = join(dir, "voice.wav");
  odd = join(dir, "notes.xyz");
  writeFileSync(png, PNG_BYTES);
  writeFileSync(wav, WAV_BYTES);
  writeFileSync(odd, "x");
});
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("--input name=value", () => {
  it("reads JSON when it parses and text otherwise, in the order given", () => {
    const inputs = parseInputs([
      "duration=5",
      "generate_audio=false",
      "aspect_ratio=16:9",
      'image_urls=["a","b"]',
      "seed=-3",
      'negative_prompt="7"',
      "prompt=a=b",
      "empty=",
      'obj={"type":"pan"}',
    ]);
    expect(inputs).toEqual({
      duration: 5,
      generate_audio: false,
      aspect_ratio: "16:9",
      image_urls: ["a", "b"],
      seed: -3,
      negative_prompt: "7",
      prompt: "a=b",
      empty: "",
      obj: { type: "pan" },
    });
    expect(Object.keys(inputs)).toEqual([
      "duration",
      "generate_audio",
      "aspect_ratio",
      "image_urls",
      "seed",
      "negative_prompt",
      "prompt",
      "empty",
      "obj",
    ]);
  });

  it("collects a repeated name into a list", () => {
    expect(parseInputs(["image_urls=a.png", "image_urls=b.png", "image_urls=c.png"])).toEqual({
      image_urls: ["a.png", "b.png", "c.png"],
    });
  });

  it("refuses what is not name=value as a usage error", () => {
    for (const bad of ["prompt", "=x", " =x", "__proto__=1"]) {
      expect(() => parseInputs([bad]), bad).toThrow(UsageError);
    }
  });
});

describe("a file in a media field becomes a data: URI", () => {
  it("of the file's exact bytes, with the media type of its extension (any case)", () => {
    expect(fileToDataUri(png)).toBe(`data:image/png;base64,${PNG_BYTES.toString("base64")}`);
    expect(fileToDataUri(wav)).toBe(`data:audio/wav;base64,${WAV_BYTES.toString("base64")}`);
  });

  it("refuses an extension it cannot name a media type for, listing the ones it knows", () => {
    expect(() => fileToDataUri(odd)).toThrow(UsageError);
    expect(() => fileToDataUri(odd)).toThrow(/notes\.xyz.*\(\.xyz\): use one of .*\.png/);
  });

  it("for single media fields, and only those, of a real model's schema", () => {
    const properties = propertiesOf("google/veo-3.1-i2v");
    const dataUri = `data:image/png;base64,${PNG_BYTES.toString("base64")}`;
    expect(filesToDataUris(properties["image_url"], png)).toBe(dataUri);
    // A URL, a data: URI, and a path that names no file pass as given.
    for (const value of ["https://example.com/a.png", dataUri, join(dir, "missing.png"), dir]) {
      expect(filesToDataUris(properties["image_url"], value)).toBe(value);
    }
    // The same path in a field that is not media stays text.
    expect(filesToDataUris(properties["prompt"], png)).toBe(png);
  });

  it("in lists, in objects and in a one-or-many union", () => {
    const dataUri = `data:image/png;base64,${PNG_BYTES.toString("base64")}`;
    const withList = propertiesOf("alibaba/happyhorse-1-0");
    expect(filesToDataUris(withList["reference_image_urls"], [png, "https://example.com/b.jpg"])).toEqual([
      dataUri,
      "https://example.com/b.jpg",
    ]);

    const kling = propertiesOf("klingai/video-o1-reference-to-video");
    expect(filesToDataUris(kling["elements"], [{ reference_image_urls: [png], frontal_image_url: png }])).toEqual([
      { reference_image_urls: [dataUri], frontal_image_url: dataUri },
    ]);

    const effects = propertiesOf("klingai/kling-video-v1.6-pro-effects");
    expect(filesToDataUris(effects["image_url"], png)).toBe(dataUri);
    expect(filesToDataUris(effects["image_url"], [png, png])).toEqual([dataUri, dataUri]);
  });

  it("asks for the model's schema only when some value names a file", () => {
    expect(mentionsFile({ prompt: "a cat", duration: 5, image_urls: ["https://example.com/a.png"] })).toBe(false);
    expect(mentionsFile({ elements: [{ frontal_image_url: png }] })).toBe(true);
  });
});
