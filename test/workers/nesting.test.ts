/**
 * JSON nested deeper than 64 levels (docs/api.md#errors): refused 400 naming
 * the outermost field before any recursive parse, on the native and the
 * compatible create paths; never a 5xx, and nothing is created or sent.
 */
import { describe, expect, it } from "vitest";
import {
  call,
  expectCompatError,
  expectNativeError,
  postJson,
  uniquePrompt,
  upstreamStats,
  type Client,
} from "./helpers.ts";

const TOO_DEEP = "metadata nests deeper than 64 levels (the body counts as one)";

/** A value of `levels` nested objects under key `a`: `{"a":{}}` is 2. */
const nested = (levels: number): string => '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
/** A create body whose metadata makes the whole body `levels` deep (the body is level 1). */
const bodyOfDepth = (prompt: string, levels: number): string =>
  `{"prompt":${JSON.stringify(prompt)},"metadata":${nested(levels - 1)}}`;

async function generationCount(as: Client): Promise<number> {
  const response = await call("/v1/generations?limit=100", { as });
  expect(response.status).toBe(200);
  return (await response.json<{ data: unknown[] }>()).data.length;
}

describe("JSON nesting on /v1/generations", () => {
  it("accepts a body 64 levels deep", async () => {
    const response = await postJson("/v1/generations", bodyOfDepth(uniquePrompt(), 64));
    expect(response.status, await response.clone().text()).toBe(202);
  });

  it.each([65, 2_500, 10_000])("refuses a body %i levels deep with 400 naming metadata", async (levels) => {
    const prompt = uniquePrompt();
    const before = await generationCount("bob");
    const error = await expectNativeError(
      await postJson("/v1/generations", bodyOfDepth(prompt, levels), { as: "bob" }),
      400,
      "invalid_request",
    );
    expect(error.details).toEqual([{ field: "metadata", rule: "max_depth", message: error.message }]);
    expect(error.message).toBe(TOO_DEEP);
    expect(await generationCount("bob")).toBe(before);
    expect((await upstreamStats({ prompt })).submits).toBe(0);
  });

  it("names a model field nested 3,000 levels deep, and (body) for a top-level array", async () => {
    const field = await expectNativeError(
      await postJson("/v1/generations", `{"prompt":"x","image_list":${"[".repeat(3_000)}${"]".repeat(3_000)}}`, {
        as: "bob",
      }),
      400,
      "invalid_request",
    );
    expect(field.details?.map((detail) => detail.field)).toEqual(["image_list"]);
    const body = await expectNativeError(
      await postJson("/v1/generations", "[".repeat(10_000), { as: "bob" }),
      400,
      "invalid_request",
    );
    expect(body.details?.map((detail) => detail.field)).toEqual(["(body)"]);
  });
});

describe("JSON nesting on the compatible paths", () => {
  it.each([65, 2_500, 10_000])(
    "refuses a body %i levels deep with 400 {message, statusCode} naming metadata",
    async (levels) => {
      const prompt = uniquePrompt();
      const error = await expectCompatError(
        await postJson("/v2/video/generations", bodyOfDepth(prompt, levels), { as: "bob" }),
        400,
      );
      // The depth rule, not the compatible body's own refusal of metadata.
      expect(error.message).toBe(TOO_DEEP);
      expect((await upstreamStats({ prompt })).submits).toBe(0);
    },
  );
});
