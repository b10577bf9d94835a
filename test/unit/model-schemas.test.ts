/**
 * The catalogue's JSON Schemas as `GET /v1/models` serves them: read from the
 * data `npm run sync-models` writes beside the catalogue
 * (src/models/catalogue-schemas.ts), cheap for a fresh isolate, and exactly
 * what the zod schemas that check a create body give.
 */
import { describe, expect, it } from "vitest";
import { INPUT_SCHEMAS } from "../../src/models/catalogue-schemas.ts";
import { MODELS } from "../../src/models/catalogue.ts";
import { buildInputsJsonSchema, inputsJsonSchema } from "../../src/models/validate.ts";

/** Far above what reading the data costs (a few ms), far below what building every schema costs (about 200 ms). */
const MAX_CPU_MS = 50;

const cpuMsOf = (work: () => void): number => {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

describe("the catalogue's JSON Schemas", () => {
  // First in the file: this module's first call, as in a fresh isolate.
  it("cost a fresh module a few milliseconds of CPU for the whole catalogue, not the cost of building them", () => {
    const read = cpuMsOf(() => MODELS.forEach((model) => inputsJsonSchema(model)));
    expect(read, `${read.toFixed(1)} ms of CPU for ${MODELS.length} schemas`).toBeLessThan(MAX_CPU_MS);
    const built = cpuMsOf(() => MODELS.forEach((model) => buildInputsJsonSchema(model)));
    // The bound tells the two apart: serving built schemas again would fail it.
    expect(built, `building them: ${built.toFixed(1)} ms of CPU`).toBeGreaterThan(MAX_CPU_MS);
  });

  it("are, byte for byte, what the zod schemas give (x-numeric-string and x-by-example included)", () => {
    expect(Object.keys(INPUT_SCHEMAS)).toEqual(MODELS.map((model) => model.id));
    for (const model of MODELS) {
      const built = JSON.stringify(buildInputsJsonSchema(model));
      expect(INPUT_SCHEMAS[model.id], `${model.id}: run npm run sync-models`).toBe(built);
      expect(JSON.stringify(inputsJsonSchema(model)), model.id).toBe(built);
    }
    expect(Object.values(INPUT_SCHEMAS).join("")).toContain('"x-numeric-string":true');
    expect(Object.values(INPUT_SCHEMAS).join("")).toContain('"x-by-example":["field"]');
  });

  it("builds a row that is not the catalogue's own from its fields", () => {
    const [first] = MODELS;
    if (first === undefined) throw new Error("no models");
    const row = { ...first, id: "test/not-in-the-catalogue", fields: { seed: { type: "boolean" as const } } };
    expect(inputsJsonSchema(row)).toMatchObject({ properties: { seed: { type: "boolean" } } });
    expect(Object.keys(inputsJsonSchema(row).properties as object)).toEqual(["seed"]);
  });
});
