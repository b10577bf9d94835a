/**
 * `npm run sync-models` on a miniature api-docs checkout written for the test
 * (test/fixtures/sync-models, see its README, laid out at test time under
 * docs/api-references/video-models/ as in the real repository, so no file of
 * the repository looks like one fetched from it). Lives under test/node because it
 * reads files and runs the script with Node; the committed catalogue itself is
 * checked in test/unit/sync-models-catalogue.test.ts.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildCatalogue,
  readSource,
  renderCatalogue,
  renderExamples,
  SEED_OVERLAY,
  type SourceOperation,
} from "../../scripts/sync-models.ts";
import type { CatalogueModel } from "../../src/models/types.ts";

const ROOT = resolve(import.meta.dirname, "../..");
/** A checkout's layout around the fixture files, in a temporary folder (removed after the tests). */
const FIXTURE = mkdtempSync(join(tmpdir(), "api-docs-fixture-"));
cpSync(join(ROOT, "test/fixtures/sync-models"), join(FIXTURE, "docs/api-references/video-models"), {
  recursive: true,
  filter: (source) => !source.endsWith("README.md"),
});
afterAll(() => rmSync(FIXTURE, { recursive: true, force: true }));
const run = promisify(execFile);

const { operations, pages, commit, empty } = readSource(FIXTURE);
const { data, notes } = buildCatalogue(operations, commit);
/** The same source with its documentation pages: examples merged, page-named ids added. */
const withPages = buildCatalogue(operations, commit, pages);

function row(id: string): CatalogueModel {
  const model = data.models.find((m) => m.id === id);
  if (model === undefined) throw new Error(`${id} is not in the fixture catalogue`);
  return model;
}

describe("sync-models on fixture files", () => {
  it("finds every model id of every POST operation, sorted, and skips files without one", () => {
    expect(data.models.map((m) => m.id)).toEqual([
      "alibaba/wan2.5-t2v-preview",
      "example/image-to-video",
      "example/reference-to-video",
      "example/reference-to-video-fast",
      "example/text-to-video",
      "legacy-model-v1",
    ]);
    expect(commit).toBeNull(); // the fixture folder is not the top of a git work tree
    expect(data.source).toEqual({ repository: "aimlapi/api-docs", commit: null });
  });

  it("reads a text-to-video model's facts: types, enums, bounds, required, defaults converted to the field's type", () => {
    expect(row("example/text-to-video")).toEqual({
      id: "example/text-to-video",
      family: "example",
      kind: "text-to-video",
      // The /v1/video/generations alias of the same file is not a relay path.
      paths: ["/v2/video/generations"],
      fields: {
        prompt: { type: "string", required: true, maxLength: 1000 },
        aspect_ratio: { type: "string", enum: ["16:9", "9:16"], default: "16:9" },
        duration: { type: "integer", enum: [4, 8], default: 4 },
        guidance: { type: "number", minimum: 0, maximum: 1, default: 0.5 },
        seed: { type: "integer", minimum: 0 },
        generate_audio: { type: "boolean", default: true },
        style: { type: "string", enum: ["plain", "bold"] },
      },
    });
  });

  it("takes the fuller schema when two files describe the same id, and says so", () => {
    expect(Object.keys(row("example/text-to-video").fields)).toContain("guidance");
    expect(
      notes.some((n) => n.startsWith("example/text-to-video: fields from") && n.includes("example-t2v.json")),
    ).toBe(true);
  });

  it("drops a default the field would refuse, with a note", () => {
    expect(row("example/text-to-video").fields["style"]).not.toHaveProperty("default");
    expect(notes.some((n) => n.includes('style: default "unlisted"'))).toBe(true);
  });

  it("marks media fields of an image-to-video model by format and by name, with their media types", () => {
    const model = row("example/image-to-video");
    expect(model.kind).toBe("image-to-video");
    expect(model.fields).toEqual({
      prompt: { type: "string", required: true, minLength: 1, maxLength: 500 },
      image_url: { type: "string", required: true, media: ["image"] },
      last_image_url: { type: "string", media: ["image"] },
      audio_url: { type: "string", media: ["audio"] }, // no format: by its name
      mask_video_url: { type: "string", media: ["video"] },
      resolution: { type: "string", enum: ["720p", "1080p"], default: "720p" },
      camera: {
        type: "object",
        properties: {
          pan: { type: "number", required: true, minimum: -10, maximum: 10 },
          zoom: { type: "number", minimum: -10, maximum: 10 },
        },
      },
      negative_prompt: { type: "string", nullable: true },
    });
  });

  it("reads list fields, arrays of objects, anyOf and oneOf, for each id of a shared enum", () => {
    const model = row("example/reference-to-video");
    expect(model.kind).toBe("reference-to-video");
    expect(row("example/reference-to-video-fast").fields).toEqual(model.fields);
    const f = model.fields;
    expect(f["image_urls"]).toEqual({
      type: "array",
      required: true,
      items: { type: "string", media: ["image"] },
      minItems: 1,
      maxItems: 4,
    });
    expect(f["image_list"]).toEqual({ type: "array", items: { type: "string", media: ["image"] }, maxItems: 3 });
    expect(f["video_urls"]).toEqual({ type: "array", items: { type: "string", media: ["video"] }, maxItems: 2 });
    expect(f["elements"]).toEqual({
      type: "array",
      items: {
        type: "object",
        properties: {
          reference_image_urls: {
            type: "array",
            required: true,
            items: { type: "string", media: ["image"] },
            minItems: 1,
            maxItems: 2,
          },
          frontal_image_url: { type: "string", media: ["image"] },
        },
      },
      maxItems: 2,
    });
    expect(f["style_image"]).toEqual({
      type: "union",
      anyOf: [
        { type: "string", media: ["image"] },
        { type: "array", items: { type: "string", media: ["image"] } },
      ],
    });
    // `url` says nothing by its name: the sibling `type` enum gives the media type.
    expect(f["subject"]).toMatchObject({
      type: "union",
      anyOf: [
        { type: "object", properties: { url: { type: "string", required: true, media: ["video"] } } },
        { type: "object", properties: { url: { type: "string", required: true, media: ["image"] } } },
      ],
    });
    expect(f["shots"]).toEqual({
      type: "array",
      items: { type: "string", maxLength: 200 },
      minItems: 1,
      maxItems: 3,
      nullable: true,
    });
    // anyOf [object, {nullable: true}] is the object, nullable; a uuid stays a format.
    expect(f["keyframe"]).toEqual({
      type: "object",
      properties: { id: { type: "string", required: true, format: "uuid" } },
      nullable: true,
    });
  });

  it("keeps a model served on a vendor path only, with its path, a typeless enum and a deprecated field", () => {
    expect(row("legacy-model-v1")).toEqual({
      id: "legacy-model-v1",
      family: "other",
      kind: "text-to-video",
      paths: ["/v2/generate/video/example/generation"],
      fields: {
        prompt: { type: "string", required: true },
        ratio: { type: "string", enum: ["16:9", "1:1"], deprecated: true },
        duration: { type: "integer", enum: [5, 10] },
      },
    });
    expect(notes.some((n) => n.includes('required "not_a_property" is not a property'))).toBe(true);
  });

  it("overlays the seed document's limits on the default model, enable_prompt_expansion as enhance_prompt", () => {
    expect(row(SEED_OVERLAY.id)).toEqual({
      id: "alibaba/wan2.5-t2v-preview",
      family: "alibaba",
      kind: "text-to-video",
      paths: ["/v2/generate/video/alibaba/generation", "/v2/video/generations"],
      fields: {
        prompt: { type: "string", required: true, minLength: 1, maxLength: 800 },
        resolution: { type: "string", enum: ["480p", "720p", "1080p"], default: "720p" },
        aspect_ratio: { type: "string", enum: ["16:9", "9:16", "1:1"], default: "16:9" },
        duration: { type: "integer", enum: [5, 10], default: 10 },
        negative_prompt: { type: "string", maxLength: 500 },
        seed: { type: "integer", minimum: 0, maximum: 2147483647 },
        enhance_prompt: { type: "boolean", default: true },
        enable_prompt_expansion: { type: "boolean", default: true, sameAs: "enhance_prompt" },
      },
    });
  });

  it("stops on a schema keyword it does not know, naming the file", () => {
    const withPattern: SourceOperation[] = operations.map((operation) =>
      operation.file.endsWith("example-i2v.json")
        ? {
            ...operation,
            schema: {
              type: "object",
              properties: { model: { type: "string", enum: operation.ids }, code: { type: "string", pattern: "^a" } },
            },
          }
        : operation,
    );
    expect(() => buildCatalogue(withPattern, null)).toThrow(
      /example-i2v\.json .*code: unsupported schema keyword "pattern"/,
    );
  });

  it("refuses a source without the default model", () => {
    const without = operations.filter((operation) => !operation.ids.includes(SEED_OVERLAY.id));
    expect(() => buildCatalogue(without, null)).toThrow(/default model/);
  });
});

describe("sync-models on fixture documentation pages", () => {
  const rowOf = (id: string): CatalogueModel => {
    const model = withPages.data.models.find((m) => m.id === id);
    if (model === undefined) throw new Error(`${id} is not in the fixture catalogue`);
    return model;
  };
  const exampleOf = (page: string, block: string) => {
    const example = withPages.examples.examples.find((e) => e.page === page && e.block === block);
    if (example === undefined) throw new Error(`no example ${page} ${block}`);
    return example;
  };

  it("skips an empty schema file, and still gives the model its page names a row from the page's example", () => {
    expect(empty).toEqual(["docs/api-references/video-models/Example-Vendor/example-empty.json"]);
    expect(rowOf("example/avatar")).toEqual({
      id: "example/avatar",
      family: "example",
      // Its examples send an image and an audio file.
      kind: "avatar",
      paths: ["/v2/video/generations"],
      fields: {
        image_url: { type: "string", media: ["image"], byExample: ["field"] },
        audio_url: { type: "string", media: ["audio"], byExample: ["field"] },
        quality: { type: "string", byExample: ["field"] },
      },
      namedOnPage: { page: "Example-Vendor/example-empty.md", schemaOf: null },
    });
  });

  it("gives an id only a page names the fields of the schema that page links, and the example's path", () => {
    const fast = rowOf("example/text-to-video-fast");
    expect(fast.namedOnPage).toEqual({ page: "Example-Vendor/example-fast.md", schemaOf: "example/text-to-video" });
    expect(fast.fields).toEqual(row("example/text-to-video").fields);
    expect(fast.paths).toEqual(["/v2/generate/video/example/generation", "/v2/video/generations"]);
  });

  it("lists every model id the documentation names, and has a row for each", () => {
    const ids = withPages.data.models.map((model) => model.id);
    expect(withPages.examples.namedIds).toEqual([...ids].sort());
    expect(withPages.examples.namedIds).toContain("example/text-to-video-fast");
  });

  it("adds the fields an example sends that the schema omits, typed from the value, and widens refused values", () => {
    const fields = rowOf("example/text-to-video").fields;
    expect(fields["ratio"]).toEqual({ type: "string", byExample: ["field"] });
    expect(fields["tags"]).toEqual({ type: "array", items: { type: "string" }, byExample: ["field"] });
    expect(fields["style"]).toEqual({ type: "string", enum: ["plain", "bold", "loud"], byExample: ["values"] });
    // "4" is a numeric string of an allowed value: nothing to widen.
    expect(fields["duration"]).toEqual({ type: "integer", enum: [4, 8], default: 4 });
    // Without the pages, the same source gives the schema's facts alone.
    expect(row("example/text-to-video").fields).not.toHaveProperty("ratio");
  });

  it("makes a required field optional when every example on its page omits it", () => {
    expect(rowOf("example/reference-to-video").fields["image_urls"]).toEqual({
      type: "array",
      items: { type: "string", media: ["image"] },
      minItems: 1,
      maxItems: 4,
      byExample: ["optional"],
    });
    // The sibling id that no example uses keeps the schema's rule.
    expect(rowOf("example/reference-to-video-fast").fields["image_urls"]?.required).toBe(true);
  });

  it("keeps a required field when the page's own examples disagree, and marks the one that omits it refused", () => {
    expect(rowOf("example/image-to-video").fields["image_url"]?.required).toBe(true);
    expect(exampleOf("Example-Vendor/example-i2v.md", "python 1").refused).toBeNull();
    expect(exampleOf("Example-Vendor/example-i2v.md", "javascript 1").refused).toMatchObject({
      field: "image_url",
      rule: "required",
    });
  });

  it("refuses a placeholder in a media field rather than widening it", () => {
    expect(exampleOf("Example-Vendor/example-lists.md", "python 1").refused).toMatchObject({
      field: "video_urls.0",
      rule: "media",
    });
  });

  it("records each example's paths, the key it reads the id from, and the answers its page shows", () => {
    expect(exampleOf("Example-Vendor/example-t2v.md", "python 1")).toMatchObject({
      createPath: "/v2/video/generations",
      pollPath: "/v2/video/generations",
      idKey: "id",
      answers: { create: ["id", "meta", "status"], poll: ["error", "id", "status", "video"] },
    });
    expect(exampleOf("Example-Vendor/example-fast.md", "javascript 1")).toMatchObject({
      createPath: "/v2/generate/video/example/generation",
      pollPath: "/v2/generate/video/example/generation",
      idKey: "generation_id",
      answers: { create: ["generation_id", "status"], poll: ["id", "model", "status", "video"] },
    });
    expect(withPages.examples.polls).toEqual([
      { page: "Legacy/fetch.md", block: "python 1", pollPath: "/v2/generate/video/example/generation" },
    ]);
  });

  it("keeps values as documented but replaces prose and media URLs with the project's own, and says which", () => {
    const python = exampleOf("Example-Vendor/example-t2v.md", "python 1");
    // The triple-quoted prompt, with its line break and indentation, is 41 characters long.
    expect(python.body).toEqual({
      model: "example/text-to-video",
      prompt: expect.stringMatching(/^Test text of wan-relay/),
      duration: "4",
      seed: 7,
      ratio: "16:9",
      guidance: 0.25,
    });
    expect(String(python.body["prompt"]).length).toBe("A paper boat\n        drifts down a gutter".length);
    expect(python.replaced).toEqual(["prompt"]);
    const avatar = exampleOf("Example-Vendor/example-empty.md", "python 1");
    expect(avatar.body["image_url"]).toBe("https://media.example.com/docs-examples/image_url.png");
    expect(avatar.replaced).toEqual(["image_url", "audio_url"]);
    expect(JSON.stringify(withPages.examples)).not.toContain("files.example.test");
  });

  it("reports a code block that does not parse instead of guessing", () => {
    expect(withPages.examples.unreadable).toEqual([
      {
        page: "Example-Vendor/example-i2v.md",
        block: "javascript 2",
        reason: expect.stringMatching(/^does not parse/),
      },
    ]);
  });
});

describe("sync-models as a command", () => {
  const dir = mkdtempSync(join(tmpdir(), "sync-models-"));
  const out = join(dir, "catalogue-data.ts");
  const examplesOut = join(dir, "documented-examples.ts");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sync = (...args: string[]) =>
    run(
      process.execPath,
      [join(ROOT, "scripts/sync-models.ts"), FIXTURE, "--out", out, "--examples-out", examplesOut, ...args],
      { cwd: ROOT },
    );

  it("writes the data file, prints the counts and the gzip size, and gives the same bytes when run again", async () => {
    const first = await sync();
    expect(first.stdout).toMatch(/^8 models from aimlapi\/api-docs$/m);
    expect(first.stdout).toMatch(/^by family: example 6, alibaba 1, other 1$/m);
    expect(first.stdout).toMatch(
      /^8 example requests on the pages \(1 poll-only scripts, 1 that do not parse\), 6 taken unchanged$/m,
    );
    expect(first.stdout).toMatch(/^data file: \d+ bytes, \d+ bytes gzip$/m);
    const text = readFileSync(out, "utf8");
    expect(text).toBe(await renderCatalogue(withPages.data));
    expect(readFileSync(examplesOut, "utf8")).toBe(await renderExamples(withPages.examples));
    expect(text).toContain("export const CATALOGUE_DATA: CatalogueData = {");
    expect(text).not.toContain("Fixture"); // no description is copied

    await sync("--quiet");
    expect(readFileSync(out, "utf8")).toBe(text);
  });

  it("--check passes on fresh files and fails when either is stale", async () => {
    await sync("--quiet");
    await expect(sync("--check", "--quiet")).resolves.toBeDefined();
    writeFileSync(out, readFileSync(out, "utf8").replace("maxLength: 1000", "maxLength: 999"));
    await expect(sync("--check", "--quiet")).rejects.toMatchObject({ code: 1 });
    await sync("--quiet");
    writeFileSync(examplesOut, readFileSync(examplesOut, "utf8").replace('duration: "4"', "duration: 4"));
    await expect(sync("--check", "--quiet")).rejects.toMatchObject({ code: 1 });
  });
});
