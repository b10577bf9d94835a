/**
 * Validation per model (docs/compatibility.md says what it accepts and why:
 * never more strictly than the AI/ML API's own documentation). Each catalogue row becomes a zod
 * schema, built on first use and cached for the isolate's life (zod
 * interprets schemas, so nothing is generated as code at run time, which
 * Workers forbid). The same schemas give the JSON Schema that
 * `GET /v1/models/{id}` shows (built at sync time, kept as data and checked
 * against them by a test), so the two cannot drift.
 *
 * Errors are the project's `{field, rule, message}` details: `required`, an
 * `unknown_field`, zod's codes for values out of bounds or of the wrong type
 * (`too_small`, `too_big`, `invalid_value` for an enum, `invalid_type`,
 * `invalid_union`, `invalid_format`), and `unknown_model`, `media`,
 * `conflict`, `too_large` of this module.
 *
 * Nothing is added to the input: no defaults (they appear in the JSON Schema
 * as facts only), no coercion (a number field's numeric string is checked as
 * its number but stays a string). The validated input is the caller's fields
 * as sent.
 *
 * Runs on Workers and under Node's type stripping alike (no runtime import of
 * the HTTP layer): the routes' schemas turn a refusal into the 400 `ApiError`.
 */
import { z } from "zod";
import type { ErrorDetail } from "../lib/errors.ts";
import { describeIssues } from "../lib/zod-issues.ts";
import { DEFAULT_MODEL_ID, findModel } from "./catalogue.ts";
import { INPUT_SCHEMAS } from "./catalogue-schemas.ts";
import { describeMediaTypes, mediaProblem, parseDataUri, type DataUri } from "./media.ts";
import type { CatalogueModel, FieldSpec, MediaType, NumberField, ObjectField } from "./types.ts";

/** JSON Schema keywords zod does not write itself (defaults, media, same-as flags), per zod schema. */
const jsonExtras = new WeakMap<object, Record<string, unknown>>();
/** Whole JSON Schemas written by hand where zod's rendering says too little (numbers that take numeric strings). */
const jsonReplacements = new WeakMap<object, Record<string, unknown>>();
const zodBySpec = new WeakMap<FieldSpec, z.ZodType>();

interface ModelSchemas {
  /** The model's fields, strict: the JSON Schema's source. */
  fields: z.ZodObject;
  /** The fields plus `model`: what a request body is checked against. */
  body: z.ZodObject;
  jsonSchema?: Record<string, unknown>;
}
const schemasById = new Map<string, ModelSchemas>();

function schemasFor(model: CatalogueModel): ModelSchemas {
  let schemas = schemasById.get(model.id);
  if (schemas === undefined) {
    const shape = shapeOf(model.fields);
    schemas = {
      fields: z.strictObject(shape),
      body: z.strictObject({ ...shape, model: z.string({ error: "must be a string" }).optional() }),
    };
    schemasById.set(model.id, schemas);
  }
  return schemas;
}

function shapeOf(properties: Record<string, FieldSpec>): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(properties)) {
    shape[name] = spec.required === true ? zodFor(spec) : zodFor(spec).optional();
  }
  return shape;
}

/** The zod schema of one field spec (without `optional`: the parent decides). */
export function zodFor(spec: FieldSpec): z.ZodType {
  const cached = zodBySpec.get(spec);
  if (cached !== undefined) return cached;
  const extras: Record<string, unknown> = {};
  let schema: z.ZodType;
  switch (spec.type) {
    case "string":
      if (spec.enum !== undefined) {
        schema = z.enum(spec.enum, { error: enumMessage(spec.enum) });
        break;
      }
      schema = stringSchema(spec.minLength, spec.maxLength, spec.format, spec.media);
      if (spec.media !== undefined) Object.assign(extras, { format: "uri", "x-media": spec.media });
      break;
    case "integer":
    case "number": {
      const number =
        spec.enum !== undefined
          ? z.literal(spec.enum, { error: enumMessage(spec.enum) })
          : numberSchema(spec.type, spec.minimum, spec.maximum);
      schema = orNumericString(number, spec.type);
      jsonReplacements.set(schema, numericJsonSchema(spec));
      break;
    }
    case "boolean":
      schema = z.boolean({ error: "must be a boolean" });
      if (spec.sameAs !== undefined) extras["x-same-as"] = spec.sameAs;
      break;
    case "array": {
      let array = z.array(zodFor(spec.items), { error: "must be an array" });
      const message = rangeMessage(spec.minItems, spec.maxItems, "items", "have");
      if (spec.minItems !== undefined) array = array.min(spec.minItems, { error: message });
      if (spec.maxItems !== undefined) array = array.max(spec.maxItems, { error: message });
      schema = array;
      break;
    }
    case "object":
      schema = z.strictObject(shapeOf(spec.properties), { error: "must be an object" });
      break;
    case "union":
      schema = unionSchema(spec.anyOf);
      break;
  }
  if (spec.type !== "union" && spec.type !== "object" && spec.type !== "array" && spec.default !== undefined) {
    extras["default"] = spec.default;
  }
  if (spec.deprecated === true) extras["deprecated"] = true;
  // Where a field owes something to the documentation's examples rather than its schema (docs/compatibility.md).
  if (spec.byExample !== undefined) extras["x-by-example"] = spec.byExample;
  if (Object.keys(extras).length > 0) jsonExtras.set(schema, extras);
  if (spec.nullable === true) schema = schema.nullable();
  zodBySpec.set(spec, schema);
  return schema;
}

function stringSchema(
  minLength: number | undefined,
  maxLength: number | undefined,
  format: "uri" | "uuid" | undefined,
  media: MediaType[] | undefined,
): z.ZodType {
  if (format === "uuid") return z.guid({ error: "must be a UUID" });
  let schema = z.string({ error: "must be a string" });
  const message = rangeMessage(minLength, maxLength, "characters", "be");
  if (minLength !== undefined) schema = schema.min(minLength, { error: message });
  if (maxLength !== undefined) schema = schema.max(maxLength, { error: message });
  if (media !== undefined) {
    return schema.superRefine((value, ctx) => {
      const problem = mediaProblem(value, media);
      if (problem !== null) ctx.addIssue({ code: "custom", message: problem, params: { rule: "media" } });
    });
  }
  if (format === "uri") return schema.refine((value) => URL.canParse(value), { error: "must be a URL" });
  return schema;
}

function numberSchema(type: "integer" | "number", minimum: number | undefined, maximum: number | undefined): z.ZodType {
  const error = (issue: { input?: unknown }): string =>
    typeof issue.input === "string" ? `${NUMERIC_WORDS[type]} (${NUMERIC_STRING_WORDS[type]})` : NUMERIC_WORDS[type];
  let schema = type === "integer" ? z.int({ error }) : z.number({ error });
  const message = rangeMessage(minimum, maximum, "", "be");
  if (minimum !== undefined) schema = schema.min(minimum, { error: message });
  if (maximum !== undefined) schema = schema.max(maximum, { error: message });
  return schema;
}

/**
 * Numbers as strings. The AI/ML API's own examples send `"duration": "5"`
 * where the schema types the field as an integer, and the upstream takes it:
 * so an integer or number field also takes the number written as a canonical
 * decimal string (`"5"`, `"-3"`, `"1.5"` for a number field; never `" 5"`,
 * `"5e0"`, `"0x5"`, `"05"`, `""`, nor `"5.5"` for an integer field). The
 * allowed values and bounds are checked on the number; the value itself is
 * never converted: the upstream gets the string as the caller sent it.
 */
export const NUMERIC_STRING_PATTERNS = {
  integer: /^-?(0|[1-9][0-9]*)$/,
  number: /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/,
} as const;

const NUMERIC_WORDS = { integer: "must be an integer", number: "must be a number" } as const;
const NUMERIC_STRING_WORDS = {
  integer: 'a JSON number, or its decimal digits as a string such as "5"',
  number: 'a JSON number, or its decimal form as a string such as "1.5"',
} as const;

/** `number` that also takes a canonical decimal string, checked as the number it spells. */
function orNumericString(number: z.ZodType, type: "integer" | "number"): z.ZodType {
  const pattern = NUMERIC_STRING_PATTERNS[type];
  // The parsed output is never used (the input is the body as sent), so reading the string as a number here changes nothing upstream.
  return z.preprocess((value) => (typeof value === "string" && pattern.test(value) ? Number(value) : value), number);
}

/** The JSON Schema of a number field that takes numeric strings too: the number, or the string that spells one. */
function numericJsonSchema(spec: NumberField): Record<string, unknown> {
  const number: Record<string, unknown> = { type: spec.type };
  const text: Record<string, unknown> = { type: "string" };
  if (spec.enum !== undefined) {
    number["enum"] = spec.enum;
    text["enum"] = spec.enum.map(String);
  } else {
    if (spec.minimum !== undefined) number["minimum"] = spec.minimum;
    if (spec.maximum !== undefined) number["maximum"] = spec.maximum;
    text["pattern"] = NUMERIC_STRING_PATTERNS[spec.type].source;
  }
  text["x-numeric-string"] = true;
  const bounds = spec.enum === undefined && (spec.minimum !== undefined || spec.maximum !== undefined);
  return {
    anyOf: [number, text],
    description:
      `${spec.type === "integer" ? "An integer" : "A number"}, or the same number as a decimal string ` +
      `(${spec.type === "integer" ? '"5"' : '"1.5"'})${bounds ? " within the same bounds" : ""}, sent upstream as given`,
  };
}

/** Lists the allowed values, unless there are so many that the model's JSON Schema is the better place to read them. */
function enumMessage(values: readonly (string | number)[]): string {
  if (values.length > MAX_VALUES_IN_MESSAGE) {
    return `must be one of the ${values.length} allowed values (GET /v1/models/{model} lists them)`;
  }
  return `must be one of ${values.map((value) => JSON.stringify(value)).join(", ")}`;
}
const MAX_VALUES_IN_MESSAGE = 16;

/** "must be between 0 and 10", "must be 1 to 800 characters", "must have at most 4 items", … */
function rangeMessage(min: number | undefined, max: number | undefined, unit: string, verb: "be" | "have"): string {
  const suffix = unit === "" ? "" : ` ${unit}`;
  if (min !== undefined && max !== undefined) {
    return unit === "" ? `must be between ${min} and ${max}` : `must ${verb} ${min} to ${max}${suffix}`;
  }
  if (min !== undefined) return `must ${verb} at least ${min}${suffix}`;
  return `must ${verb} at most ${max ?? 0}${suffix}`;
}

/** A union; objects told apart by a one-value `type` property become a discriminated union (clearer errors). */
function unionSchema(anyOf: readonly FieldSpec[]): z.ZodType {
  const message = `must be ${anyOf.map(describeSpec).join(" or ")}`;
  const tags = anyOf.map(discriminatorOf);
  if (tags.every((tag) => tag !== null) && new Set(tags).size === tags.length) {
    const options = anyOf.map((spec) => zodFor(spec)) as z.ZodObject[];
    return z.discriminatedUnion("type", options as [z.ZodObject, ...z.ZodObject[]], { error: message });
  }
  return z.union(
    anyOf.map((spec) => zodFor(spec)),
    { error: message },
  );
}

function discriminatorOf(spec: FieldSpec): string | null {
  if (spec.type !== "object" || spec.nullable === true) return null;
  const tag = spec.properties["type"];
  return tag?.type === "string" && tag.required === true && tag.enum?.length === 1 ? (tag.enum[0] ?? null) : null;
}

function describeSpec(spec: FieldSpec): string {
  switch (spec.type) {
    case "string":
      return spec.media !== undefined ? `a URL or data: URI of ${describeMediaTypes(spec.media)}` : "a string";
    case "integer":
      return "an integer (or its decimal string)";
    case "number":
      return "a number (or its decimal string)";
    case "boolean":
      return "a boolean";
    case "array":
      return `an array of ${describePlural(spec.items)}`;
    case "object": {
      const tag = discriminatorOf(spec);
      return tag === null ? "an object" : `an object with type "${tag}"`;
    }
    case "union":
      return spec.anyOf.map(describeSpec).join(" or ");
  }
}

function describePlural(spec: FieldSpec): string {
  if (spec.type === "string") return spec.media !== undefined ? "URLs or data: URIs" : "strings";
  return spec.type === "union" ? "values" : `${spec.type}s`;
}

/** The catalogue rows' JSON Schemas as parsed, each once per isolate. */
const parsedInputSchemas = new WeakMap<CatalogueModel, Record<string, unknown>>();

/**
 * The JSON Schema (draft 2020-12) of a model's input fields (without
 * `model`), cached. A catalogue row's comes from the data `npm run
 * sync-models` wrote beside the catalogue (catalogue-schemas.ts), built there
 * by `buildInputsJsonSchema` from the very zod schemas that check a create
 * body: building the whole catalogue's at run time cost a fresh isolate
 * about 200 ms of CPU, reading it costs a few. Any other row (a test's) is
 * built.
 */
export function inputsJsonSchema(model: CatalogueModel): Record<string, unknown> {
  let schema = parsedInputSchemas.get(model);
  if (schema === undefined) {
    const text = findModel(model.id) === model ? INPUT_SCHEMAS[model.id] : undefined;
    schema = text === undefined ? buildInputsJsonSchema(model) : (JSON.parse(text) as Record<string, unknown>);
    parsedInputSchemas.set(model, schema);
  }
  return schema;
}

/**
 * The JSON Schema of a model's input fields, built from its zod schemas
 * (what the sync script writes as data, and what a test compares the data with).
 */
export function buildInputsJsonSchema(model: CatalogueModel): Record<string, unknown> {
  const schemas = schemasFor(model);
  schemas.jsonSchema ??= z.toJSONSchema(schemas.fields, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      const replacement = jsonReplacements.get(ctx.zodSchema);
      if (replacement !== undefined) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
        Object.assign(ctx.jsonSchema, structuredClone(replacement));
      }
      const extras = jsonExtras.get(ctx.zodSchema);
      if (extras !== undefined) Object.assign(ctx.jsonSchema, extras);
    },
  }) as Record<string, unknown>;
  return schemas.jsonSchema;
}

export type ModelLookup = { ok: true; model: CatalogueModel } | { ok: false; detail: ErrorDetail };

/** The catalogue row a body's `model` names (absent: the default model). */
export function resolveModel(value: unknown): ModelLookup {
  if (value === undefined) {
    const model = findModel(DEFAULT_MODEL_ID);
    if (model === undefined) throw new Error(`the default model ${DEFAULT_MODEL_ID} is not in the catalogue`);
    return { ok: true, model };
  }
  if (typeof value !== "string") {
    return { ok: false, detail: { field: "model", rule: "invalid_type", message: "model must be a string" } };
  }
  const model = findModel(value);
  if (model !== undefined) return { ok: true, model };
  const shown = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return {
    ok: false,
    detail: {
      field: "model",
      rule: "unknown_model",
      message: `model ${JSON.stringify(shown)} is not a known model: GET /v1/models lists them`,
    },
  };
}

export interface ModelInputOptions {
  /** When set, a `data:` URI that decodes to more bytes than this is refused (rule `too_large`). */
  maxInlineMediaBytes?: number;
}

export type ModelInputCheck =
  { ok: true; model: CatalogueModel; input: Record<string, unknown> } | { ok: false; details: ErrorDetail[] };

/**
 * Checks the upstream part of a request body: `model` (optional) and the
 * model's fields, nothing else (a caller strips its own fields such as
 * `webhook_url` first). `input` is the fields as sent, without `model`.
 */
export function checkModelInput(
  body: Readonly<Record<string, unknown>>,
  options: ModelInputOptions = {},
): ModelInputCheck {
  const lookup = resolveModel(body["model"]);
  if (!lookup.ok) return { ok: false, details: [lookup.detail] };
  const { model } = lookup;
  const result = schemasFor(model).body.safeParse(body);
  if (!result.success) return { ok: false, details: describeIssues(result.error.issues, body) };
  // The schemas transform nothing, so the body's own fields are the validated ones, in the caller's order.
  const { model: _model, ...input } = body;
  const details = [...aliasConflicts(model, input), ...oversizeMedia(model, input, options.maxInlineMediaBytes)];
  return details.length > 0 ? { ok: false, details } : { ok: true, model, input };
}

function aliasConflicts(model: CatalogueModel, input: Record<string, unknown>): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const [name, spec] of Object.entries(model.fields)) {
    if (spec.type !== "boolean" || spec.sameAs === undefined) continue;
    const value = input[name];
    const other = input[spec.sameAs];
    if (value !== undefined && other !== undefined && value !== other) {
      details.push({
        field: name,
        rule: "conflict",
        message: `${name} and ${spec.sameAs} are the same flag: send one, or both with the same value`,
      });
    }
  }
  return details;
}

function oversizeMedia(model: CatalogueModel, input: Record<string, unknown>, max: number | undefined): ErrorDetail[] {
  if (max === undefined) return [];
  return collectMedia(model, input)
    .filter((media) => media.data !== null && media.data.bytes > max)
    .map((media) => ({
      field: media.field,
      rule: "too_large",
      message: `${media.field} must be at most ${max} bytes once decoded, got ${media.data?.bytes ?? 0}`,
    }));
}

/**
 * The input with each alias renamed to the name the published schema uses
 * (`enable_prompt_expansion` → `enhance_prompt`), in the caller's order:
 * the upstream body is the caller's fields under the published names.
 */
export function toUpstreamFields(
  model: CatalogueModel,
  input: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const spec = model.fields[name];
    const target = spec?.type === "boolean" && spec.sameAs !== undefined ? spec.sameAs : name;
    if (!(target in output)) output[target] = value;
  }
  return output;
}

export interface MediaValue {
  /** Where the value sits: `["image_url"]`, `["elements", 0, "reference_image_urls", 1]`. */
  path: (string | number)[];
  /** The same path, dotted as in error details: `elements.0.reference_image_urls.1`. */
  field: string;
  value: string;
  /** The media types the field takes. */
  accepted: MediaType[];
  /** The parsed `data:` URI, or null for a URL. */
  data: DataUri | null;
}

/** Every media value of a validated input, at any depth, in field order. */
export function collectMedia(model: CatalogueModel, input: Readonly<Record<string, unknown>>): MediaValue[] {
  const found: MediaValue[] = [];
  walkMedia(rootSpec(model), input, [], (media) => {
    found.push(media);
    return media.value;
  });
  return found;
}

/**
 * A copy of a validated input with each media value replaced by what
 * `replace` returns (e.g. a `data:` URI by a short reference for the echo,
 * and back at submission). Values that are not media are kept as they are.
 */
export function mapMedia(
  model: CatalogueModel,
  input: Readonly<Record<string, unknown>>,
  replace: (media: MediaValue) => unknown,
): Record<string, unknown> {
  const copy = walkMedia(rootSpec(model), input, [], replace);
  return isRecord(copy) ? copy : {};
}

const rootSpecs = new WeakMap<CatalogueModel, ObjectField>();
function rootSpec(model: CatalogueModel): ObjectField {
  let spec = rootSpecs.get(model);
  if (spec === undefined) {
    spec = { type: "object", properties: model.fields };
    rootSpecs.set(model, spec);
  }
  return spec;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function walkMedia(
  spec: FieldSpec,
  value: unknown,
  path: (string | number)[],
  visit: (media: MediaValue) => unknown,
): unknown {
  switch (spec.type) {
    case "string":
      if (spec.media === undefined || typeof value !== "string") return value;
      return visit({ path, field: path.join("."), value, accepted: spec.media, data: parseDataUri(value) });
    case "array":
      return Array.isArray(value)
        ? value.map((item, index) => walkMedia(spec.items, item, [...path, index], visit))
        : value;
    case "object": {
      if (!isRecord(value)) return value;
      const copy: Record<string, unknown> = {};
      for (const [name, item] of Object.entries(value)) {
        const property = spec.properties[name];
        copy[name] = property === undefined ? item : walkMedia(property, item, [...path, name], visit);
      }
      return copy;
    }
    case "union": {
      const branch = spec.anyOf.find((option) => zodFor(option).safeParse(value).success);
      return branch === undefined ? value : walkMedia(branch, value, path, visit);
    }
    default:
      return value;
  }
}
