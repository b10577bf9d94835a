/**
 * Numbers as strings (docs/compatibility.md): the AI/ML API's own examples
 * send `"duration": "5"` to fields its schemas type as integers, so an
 * integer or number field also takes the number as a canonical decimal
 * string. The allowed values and bounds are checked on the number; the value
 * stays the string the caller sent; anything else is refused naming the field.
 */
import { describe, expect, it } from "vitest";
import { findModel } from "../../src/models/catalogue.ts";
import type { CatalogueModel, FieldSpec } from "../../src/models/types.ts";
import { checkModelInput, inputsJsonSchema, toUpstreamFields, zodFor } from "../../src/models/validate.ts";

function model(id: string): CatalogueModel {
  const found = findModel(id);
  if (found === undefined) throw new Error(`${id} is not in the catalogue`);
  return found;
}

/** The facts these tests rely on, checked first so a catalogue change shows up here and not as a puzzle below. */
const GROK = "x-ai/grok-imagine-video"; // duration: integer 1..15
const WAN = "alibaba/wan2.5-t2v-preview"; // duration: integer, one of 5, 10
const KLING = "kling-video/v1.6/pro/text-to-video"; // cfg_scale: number 0..1; advanced_camera_control.movement_value: integer -10..10
const HAPPYHORSE = "alibaba/happyhorse-1-0"; // seed: integer without bounds

describe("the fields these tests use", () => {
  it("are typed as numbers in the catalogue", () => {
    expect(model(GROK).fields["duration"]).toMatchObject({ type: "integer", minimum: 1, maximum: 15 });
    expect(model(WAN).fields["duration"]).toMatchObject({ type: "integer", enum: [5, 10] });
    expect(model(KLING).fields["cfg_scale"]).toMatchObject({ type: "number", minimum: 0, maximum: 1 });
    expect(model(HAPPYHORSE).fields["seed"]).toEqual({ type: "integer" });
  });
});

type Accepted = [why: string, model: string, fields: Record<string, unknown>];

describe("a numeric string where the number is allowed", () => {
  it.each<Accepted>([
    ["an integer within bounds", GROK, { prompt: "x", duration: "5" }],
    ["an integer at the lower bound", GROK, { prompt: "x", duration: "1" }],
    ["an integer at the upper bound", GROK, { prompt: "x", duration: "15" }],
    ["an integer of an enum", WAN, { prompt: "x", duration: "10" }],
    ["an integer without bounds, negative", HAPPYHORSE, { prompt: "x", seed: "-42" }],
    ["an integer without bounds, zero", HAPPYHORSE, { prompt: "x", seed: "0" }],
    ["a number with decimals", KLING, { prompt: "x", cfg_scale: "0.5" }],
    ["a number written as an integer", KLING, { prompt: "x", cfg_scale: "1" }],
    [
      "an integer inside an object",
      KLING,
      { prompt: "x", advanced_camera_control: { movement_type: "pan", movement_value: "-3" } },
    ],
  ])("accepts %s, and keeps the string as sent", (_why, id, fields) => {
    const checked = checkModelInput({ model: id, ...fields });
    expect(checked.ok, JSON.stringify(checked)).toBe(true);
    if (!checked.ok) return;
    expect(checked.input).toEqual(fields);
    // The upstream body is the caller's fields: the string is not turned into a number.
    expect(toUpstreamFields(checked.model, checked.input)).toEqual(fields);
  });
});

type Refused = [why: string, model: string, fields: Record<string, unknown>, field: string, rule: string];

describe("a string where the number is not allowed", () => {
  it.each<Refused>([
    ["a decimal for an integer field", GROK, { prompt: "x", duration: "5.5" }, "duration", "invalid_type"],
    ["a leading space", GROK, { prompt: "x", duration: " 5" }, "duration", "invalid_type"],
    ["a trailing space", GROK, { prompt: "x", duration: "5 " }, "duration", "invalid_type"],
    ["an exponent", GROK, { prompt: "x", duration: "5e0" }, "duration", "invalid_type"],
    ["an empty string", GROK, { prompt: "x", duration: "" }, "duration", "invalid_type"],
    ["a hexadecimal number", GROK, { prompt: "x", duration: "0x5" }, "duration", "invalid_type"],
    ["a leading zero", GROK, { prompt: "x", duration: "05" }, "duration", "invalid_type"],
    ["a plus sign", GROK, { prompt: "x", duration: "+5" }, "duration", "invalid_type"],
    ["words", GROK, { prompt: "x", duration: "five" }, "duration", "invalid_type"],
    ["a number above the maximum", GROK, { prompt: "x", duration: "16" }, "duration", "too_big"],
    ["a number below the minimum", GROK, { prompt: "x", duration: "0" }, "duration", "too_small"],
    ["a value outside the enum", WAN, { prompt: "x", duration: "7" }, "duration", "invalid_value"],
    ["an enum value with decimals", WAN, { prompt: "x", duration: "5.0" }, "duration", "invalid_value"],
    ["a number field over its maximum", KLING, { prompt: "x", cfg_scale: "1.5" }, "cfg_scale", "too_big"],
    ["a number field with a bare dot", KLING, { prompt: "x", cfg_scale: ".5" }, "cfg_scale", "invalid_type"],
    ["a number field with words", KLING, { prompt: "x", cfg_scale: "half" }, "cfg_scale", "invalid_type"],
    [
      "an integer inside an object, out of bounds",
      KLING,
      { prompt: "x", advanced_camera_control: { movement_type: "pan", movement_value: "11" } },
      "advanced_camera_control.movement_value",
      "too_big",
    ],
  ])("refuses %s, naming the field and the rule", (_why, id, fields, field, rule) => {
    const checked = checkModelInput({ model: id, ...fields });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    const detail = checked.details.find((d) => d.field === field);
    expect(detail, JSON.stringify(checked.details)).toMatchObject({ field, rule });
    expect(detail?.message.startsWith(`${field} must `)).toBe(true);
  });

  it("says a string of digits would do when a string is refused", () => {
    const checked = checkModelInput({ model: GROK, prompt: "x", duration: "5.5" });
    expect(checked.ok ? [] : checked.details).toEqual([
      {
        field: "duration",
        rule: "invalid_type",
        message: 'duration must be an integer (a JSON number, or its decimal digits as a string such as "5")',
      },
    ]);
  });

  it("still refuses a fractional JSON number for an integer field", () => {
    const checked = checkModelInput({ model: GROK, prompt: "x", duration: 5.5 });
    expect(checked.ok ? [] : checked.details).toEqual([
      { field: "duration", rule: "invalid_type", message: "duration must be an integer" },
    ]);
  });
});

describe("a number field without bounds or enum", () => {
  const spec: FieldSpec = { type: "number" };
  it.each(["0", "-0.25", "1234.5", "7"])("takes %j", (value) => {
    expect(zodFor(spec).safeParse(value).success).toBe(true);
  });
  it.each(["", "1.", "1e3", "Infinity", "NaN", "0x10", "1,5"])("refuses %j", (value) => {
    expect(zodFor(spec).safeParse(value).success).toBe(false);
  });
});

describe("the JSON Schema of GET /v1/models/{id}", () => {
  const property = (id: string, name: string): unknown =>
    (inputsJsonSchema(model(id)) as { properties: Record<string, unknown> }).properties[name];

  it("says an integer field with bounds takes a string of digits", () => {
    expect(property(GROK, "duration")).toEqual({
      anyOf: [
        { type: "integer", minimum: 1, maximum: 15 },
        { type: "string", pattern: "^-?(0|[1-9][0-9]*)$", "x-numeric-string": true },
      ],
      description:
        'An integer, or the same number as a decimal string ("5") within the same bounds, sent upstream as given',
      default: 10,
    });
  });

  it("lists an enum's values as strings too", () => {
    expect(property(WAN, "duration")).toMatchObject({
      anyOf: [
        { type: "integer", enum: [5, 10] },
        { type: "string", enum: ["5", "10"], "x-numeric-string": true },
      ],
    });
  });

  it("gives a number field the decimal pattern", () => {
    expect(property(KLING, "cfg_scale")).toMatchObject({
      anyOf: [
        { type: "number", minimum: 0, maximum: 1 },
        { type: "string", pattern: "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$", "x-numeric-string": true },
      ],
    });
  });
});
