/**
 * `GET /v1/models` and `GET /v1/models/{id}` (docs/api.md#native-api, #models): the whole
 * catalogue, each model with the JSON Schema of its inputs from the same
 * definitions that validate a create body; ids with `/` in them found whether
 * sent as they are or percent-encoded; anything else 404 in the native shape.
 */
import { describe, expect, it } from "vitest";
import { MODEL_KINDS, MODELS, findModel } from "../../src/models/catalogue.ts";
import { inputsJsonSchema } from "../../src/models/validate.ts";
import type { Model } from "../../src/routes/models.ts";
import { call, expectNativeError } from "./helpers.ts";

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema & { "x-media"?: string[]; maxLength?: number }>;
  required?: string[];
  items?: JsonSchema & { "x-media"?: string[] };
}

async function getModel(path: string): Promise<Model> {
  const response = await call(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<Model>();
}

describe("GET /v1/models", () => {
  it("lists every catalogue model, sorted by id, each with its kind and the JSON Schema of its inputs", async () => {
    const response = await call("/v1/models");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    const { data } = await response.json<{ data: Model[] }>();
    expect(data.length).toBeGreaterThanOrEqual(140);
    expect(data.map((model) => model.id)).toEqual(MODELS.map((model) => model.id));
    expect(new Set(data.map((model) => model.id)).size).toBe(data.length);
    for (const model of data) {
      expect(Object.keys(model).sort(), model.id).toEqual(["id", "inputs", "kind"]);
      expect(MODEL_KINDS, model.id).toContain(model.kind);
      const source = findModel(model.id);
      if (source === undefined) throw new Error(`${model.id} is not in the catalogue`);
      expect(model.kind).toBe(source.kind);
      // The schema that validates requests, rendered: the same fields, nothing else.
      expect(model.inputs, model.id).toEqual(inputsJsonSchema(source));
      const inputs = model.inputs as JsonSchema;
      expect(inputs.type).toBe("object");
      expect(Object.keys(inputs.properties ?? {}).sort()).toEqual(Object.keys(source.fields).sort());
    }
  });

  it("shows the default model with the seed document's limits", async () => {
    const { data } = await (await call("/v1/models")).json<{ data: Model[] }>();
    const wan = data.find((model) => model.id === "alibaba/wan2.5-t2v-preview");
    const inputs = wan?.inputs as JsonSchema | undefined;
    expect(inputs?.required).toEqual(["prompt"]);
    expect(inputs?.properties?.["prompt"]).toMatchObject({ type: "string", minLength: 1, maxLength: 800 });
    expect(inputs?.properties?.["negative_prompt"]).toMatchObject({ maxLength: 500 });
  });

  it("needs a key", async () => {
    await expectNativeError(await call("/v1/models", { as: null }), 401, "unauthorized");
  });
});

describe("GET /v1/models/{id}", () => {
  it("finds a model whose id contains a slash, as sent or percent-encoded", async () => {
    const listed = (await (await call("/v1/models")).json<{ data: Model[] }>()).data.find(
      (model) => model.id === "google/veo-3.1-t2v",
    );
    expect(listed).toBeDefined();
    expect(await getModel("/v1/models/google/veo-3.1-t2v")).toEqual(listed);
    expect(await getModel("/v1/models/google%2Fveo-3.1-t2v")).toEqual(listed);
  });

  it("finds ids of several segments and of none", async () => {
    for (const id of ["klingai/v2.5-turbo/pro/text-to-video", "bytedance/omnihuman/v1.5", "veo2"]) {
      expect(findModel(id), id).toBeDefined();
      const model = await getModel(`/v1/models/${id}`);
      expect(model.id).toBe(id);
      expect(model.kind).toBe(findModel(id)?.kind);
    }
  });

  it("marks media fields, single and listed", async () => {
    const i2v = (await getModel("/v1/models/google/veo-3.1-i2v")).inputs as JsonSchema;
    expect(i2v.properties?.["image_url"]).toMatchObject({ type: "string", format: "uri", "x-media": ["image"] });
    const withList = MODELS.find((model) => {
      const field = model.fields["reference_image_urls"];
      return field?.type === "array" && field.items.type === "string" && field.items.media !== undefined;
    });
    if (withList === undefined) throw new Error("no model with a list of reference images");
    const listed = (await getModel(`/v1/models/${withList.id}`)).inputs as JsonSchema;
    expect(listed.properties?.["reference_image_urls"]).toMatchObject({
      type: "array",
      items: { type: "string", "x-media": ["image"] },
    });
  });

  it("answers 404 in the native shape for an unknown model, pointing at the list", async () => {
    for (const path of [
      "/v1/models/google/veo-9",
      "/v1/models/google",
      "/v1/models/google/veo-3.1-t2v/extra",
      "/v1/models/google/",
      "/v1/models/google%2Fveo-9",
    ]) {
      const error = await expectNativeError(await call(path), 404, "not_found");
      expect(error.message, path).toMatch(/^No model ".+": GET \/v1\/models lists them$/);
    }
  });

  it("needs a key", async () => {
    await expectNativeError(await call("/v1/models/google/veo-3.1-t2v", { as: null }), 401, "unauthorized");
    await expectNativeError(await call("/v1/models/google/veo-9", { as: null }), 401, "unauthorized");
  });
});
