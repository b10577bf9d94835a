/**
 * The committed documentation facts (test/support/documented-examples.ts,
 * written by `npm run sync-models`) against the committed catalogue: a row for
 * every model id the documentation names, the example fields marked where they
 * came from, and the test data free of the documentation's own prose and URLs.
 */
import { describe, expect, it } from "vitest";
import { CATALOGUE_SOURCE, findModel, MODELS } from "../../src/models/catalogue.ts";
import { DOCUMENTED_EXAMPLES } from "../support/documented-examples.ts";

describe("the documentation facts", () => {
  it("come from the same commit of the documentation as the catalogue", () => {
    expect(DOCUMENTED_EXAMPLES.source).toEqual(CATALOGUE_SOURCE);
  });

  it("name no model the catalogue lacks", () => {
    const missing = DOCUMENTED_EXAMPLES.namedIds.filter((id) => findModel(id) === undefined);
    expect(missing).toEqual([]);
    expect(DOCUMENTED_EXAMPLES.namedIds.length).toBe(MODELS.length);
  });

  it("include the ids only pages name: the PixVerse v5.5 pages' ids, whose schema files are empty in the snapshot", () => {
    for (const id of ["pixverse/v5-5-text-to-video", "pixverse/v5-5-image-to-video"]) {
      expect(DOCUMENTED_EXAMPLES.namedIds).toContain(id);
      expect(findModel(id)?.namedOnPage?.schemaOf).toMatch(/^pixverse\/v5\.5\//);
    }
  });

  it("carry no URL of the documentation and no long prose of it: only the project's own test values", () => {
    const text = JSON.stringify(DOCUMENTED_EXAMPLES.examples.map((example) => example.body));
    const urls = [...text.matchAll(/https?:\/\/([^/"]+)/g)].map((match) => match[1]);
    expect(new Set(urls)).toEqual(new Set(["media.example.com"]));
    // Each replaced value is a string of the body, found where `replaced` says.
    for (const example of DOCUMENTED_EXAMPLES.examples) {
      for (const path of example.replaced) {
        const value = path.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], example.body);
        expect(typeof value, `${example.page} ${example.block} ${path}`).toBe("string");
      }
    }
    // Every prompt an example sends is replaced (prompts are prose).
    for (const example of DOCUMENTED_EXAMPLES.examples) {
      if (typeof example.body["prompt"] === "string" && example.body["prompt"].trim().includes(" ")) {
        expect(example.replaced, `${example.page} ${example.block}`).toContain("prompt");
      }
    }
  });

  it("mark in the catalogue every field an example added, relaxed or widened", () => {
    const marked = MODELS.flatMap((model) =>
      Object.entries(model.fields)
        .filter(([, field]) => field.byExample !== undefined)
        .map(([name, field]) => `${model.id} ${name} ${(field.byExample ?? []).join(",")}`),
    );
    expect(marked).toContain("minimax/hailuo-02 first_frame_image field");
    expect(marked).toContain("video-01-live2d image_url optional");
    expect(marked).toContain("minimax/hailuo-2.3 duration values");
  });
});
