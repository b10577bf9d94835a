/**
 * Creating generations for every kind of model through the HTTP API
 * (docs/api.md#native-api, #models): a table over many models of different families
 * (test/support/model-corpus.ts). For each: a valid body is accepted, its
 * `input` echoes exactly the fields sent, and the upstream receives exactly
 * them; invalid bodies are refused naming the field, as is a field the model
 * does not take; an unknown model is refused naming `model`.
 */
import { describe, expect, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { bodyFor, MODEL_CASES } from "../support/model-corpus.ts";
import { expectNativeError, postJson, stateOf, uniquePrompt, upstreamStats, waitForSubmission } from "./helpers.ts";

const PATH = "/v1/generations";

describe("the model corpus", () => {
  it("covers at least 20 models of at least 12 families, each with two invalid bodies or more", () => {
    expect(MODEL_CASES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(MODEL_CASES.map((c) => c.family)).size).toBeGreaterThanOrEqual(12);
    for (const c of MODEL_CASES) expect(c.invalid.length, c.model).toBeGreaterThanOrEqual(2);
  });
});

describe.each(MODEL_CASES.map((c) => [c.model, c] as const))("%s", (model, c) => {
  it("accepts a valid body: 202, input echoes the fields as sent, the upstream receives exactly them", async () => {
    const prompt = uniquePrompt();
    const fields = c.valid(prompt);
    const response = await postJson(PATH, { ...bodyFor(model, fields), metadata: { case: model } });
    expect(response.status, await response.clone().text()).toBe(202);
    const generation = await response.json<Generation>();
    expect(generation.model).toBe(model);
    expect(generation.input).toEqual(fields);
    expect(generation.metadata).toEqual({ case: model });

    await waitForSubmission(generation.id);
    const task = (await stateOf(generation.id))?.upstream.id ?? null;
    expect(task, "the upstream accepted the task").not.toBeNull();
    expect(task?.endsWith(`:${model}`)).toBe(true);
    const received = (await upstreamStats({ task: task ?? "" })).bodiesByTask[task ?? ""];
    expect(received).toEqual(bodyFor(model, fields));
  });

  it.each(c.invalid)("refuses %s, naming the field", async (_why, invalid, field) => {
    const body = bodyFor(model, invalid(uniquePrompt()));
    const error = await expectNativeError(await postJson(PATH, body, { as: "bob" }), 400, "invalid_request");
    const fields = (error.details ?? []).map((detail) => detail.field);
    expect(fields, JSON.stringify(error.details)).toContain(field);
    expect(error.message).toContain(field.split(".")[0]);
  });

  it("refuses a field the model does not take, naming it", async () => {
    const body = { ...bodyFor(model, c.valid(uniquePrompt())), colour: "red" };
    const error = await expectNativeError(await postJson(PATH, body, { as: "bob" }), 400, "invalid_request");
    expect(error.details).toContainEqual({
      field: "colour",
      rule: "unknown_field",
      message: "colour is not a known field",
    });
  });
});

describe("models the catalogue does not know", () => {
  it.each([
    ["an unknown id", "acme/no-such-model"],
    ["a near miss of a real id", "google/veo-3.1-t2v-ultra"],
    ["the default model in upper case", "ALIBABA/WAN2.5-T2V-PREVIEW"],
  ])("refuses %s naming model and pointing at GET /v1/models", async (_why, model) => {
    const error = await expectNativeError(
      await postJson(PATH, { model, prompt: uniquePrompt() }, { as: "bob" }),
      400,
      "invalid_request",
    );
    expect(error.details).toEqual([{ field: "model", rule: "unknown_model", message: error.message }]);
    expect(error.message).toContain("GET /v1/models");
  });

  it("refuses a model that is not a string, naming model", async () => {
    const error = await expectNativeError(
      await postJson(PATH, { model: 7, prompt: uniquePrompt() }, { as: "bob" }),
      400,
      "invalid_request",
    );
    expect(error.details?.map((detail) => detail.field)).toEqual(["model"]);
  });

  it("sends nothing upstream for refused bodies (bob never creates anything)", async () => {
    const prompt = uniquePrompt();
    await postJson(PATH, { model: "acme/no-such-model", prompt }, { as: "bob" });
    await postJson(PATH, { model: "google/veo-3.1-t2v", prompt, duration: 5 }, { as: "bob" });
    expect((await upstreamStats({ prompt })).submits).toBe(0);
  });
});
