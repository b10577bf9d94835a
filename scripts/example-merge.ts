/**
 * Merges the documentation's example requests (scripts/docs-examples.ts) into
 * the catalogue rows, so that the relay is never stricter than the AI/ML API's
 * own documentation (docs/compatibility.md), and turns the examples into the
 * corpus data the tests post to the relay.
 *
 * The rules, in the order they apply:
 *
 * - A field an example sends that the row lacks becomes an input of that
 *   model, typed from the example's value (a string of digits → integer, of
 *   decimals → number; a media-looking name → a media field; lists and
 *   objects by their content), marked `byExample: ["field"]`.
 * - A value an example sends that the row's field refuses widens the field:
 *   the value joins the allowed values, the bounds (numbers, lengths, item
 *   counts) stretch to it, another JSON type becomes a union; marked
 *   `values`. Not for media: a value that is neither a URL nor a `data:` URI
 *   (a placeholder such as `<YOUR_IMAGE_URL>`) stays refused.
 * - A field the schema marks required becomes optional (`optional`) when
 *   every example of that model on one page omits it. When the page's own
 *   examples disagree (one sends it, one omits it), the schema decides and the
 *   example that omits it is refused.
 *
 * Every example the rows still refuse is recorded with the field and the
 * reason: the deliberate exceptions that docs/compatibility.md lists.
 *
 * Erasable TypeScript only, so `node scripts/sync-models.ts` runs it directly.
 */
import { isHttpUrl, parseDataUri } from "../src/models/media.ts";
import type {
  ArrayField,
  CatalogueModel,
  ExampleChange,
  FieldSpec,
  MediaType,
  ObjectField,
  UnionField,
} from "../src/models/types.ts";
import { NUMERIC_STRING_PATTERNS, zodFor } from "../src/models/validate.ts";
import type { ExampleFacts, PageFacts } from "./docs-examples.ts";
import type { DocumentedExample, JsonValue } from "./documented-examples-types.ts";
import { MEDIA_NAME, mediaTypesOf } from "./field-rules.ts";

type Json = unknown;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const fits = (spec: FieldSpec, value: Json): boolean => zodFor(spec).safeParse(value).success;

function withChange<T extends FieldSpec>(spec: T, change: ExampleChange): T {
  const changes = new Set(spec.byExample ?? []);
  changes.add(change);
  return { ...spec, byExample: [...changes].sort() };
}

/** A field spec from one example value (see the header). Throws on a value with no type to take (null, `[]`). */
export function specFromValue(name: string, value: Json, where: string): FieldSpec {
  if (typeof value === "string") {
    if (NUMERIC_STRING_PATTERNS.integer.test(value)) return { type: "integer" };
    if (NUMERIC_STRING_PATTERNS.number.test(value)) return { type: "number" };
    if (MEDIA_NAME.test(name)) return { type: "string", media: mediaTypesOf(name, []) };
    return { type: "string" };
  }
  if (typeof value === "number") return { type: Number.isInteger(value) ? "integer" : "number" };
  if (typeof value === "boolean") return { type: "boolean" };
  if (Array.isArray(value)) {
    const [first, ...rest] = value;
    if (first === undefined) throw new Error(`${where}: an empty list says nothing of its items' type`);
    let items = specFromValue(name, first, `${where}[]`);
    for (const item of rest) items = admit(items, item, name, `${where}[]`).spec;
    return { type: "array", items };
  }
  if (isRecord(value)) {
    const properties: Record<string, FieldSpec> = {};
    for (const [key, item] of Object.entries(value)) properties[key] = specFromValue(key, item, `${where}.${key}`);
    return { type: "object", properties };
  }
  throw new Error(`${where}: ${JSON.stringify(value)} says nothing of the field's type`);
}

/**
 * The spec widened so that it takes `value` (itself when it already does).
 * `stuck` is set when the value cannot be admitted by widening (a media
 * value that is not a URL or data: URI): the spec is returned unchanged.
 */
function admit(spec: FieldSpec, value: Json, name: string, where: string): { spec: FieldSpec; stuck: boolean } {
  if (fits(spec, value)) return { spec, stuck: false };
  if (value === null) return { spec: withChange({ ...spec, nullable: true }, "values"), stuck: false };
  switch (spec.type) {
    case "string": {
      if (typeof value !== "string") return { spec: unionWith(spec, specFromValue(name, value, where)), stuck: false };
      if (spec.media !== undefined) return { spec, stuck: true };
      let widened: FieldSpec = { ...spec };
      if (widened.enum !== undefined && !widened.enum.includes(value)) widened.enum = [...widened.enum, value];
      if (widened.minLength !== undefined && value.length < widened.minLength) widened.minLength = value.length;
      if (widened.maxLength !== undefined && value.length > widened.maxLength) widened.maxLength = value.length;
      if (widened.format !== undefined && !fits(widened, value)) {
        const { format: _format, ...rest } = widened;
        widened = rest;
      }
      return { spec: withChange(widened, "values"), stuck: false };
    }
    case "integer":
    case "number": {
      const number =
        typeof value === "number"
          ? value
          : typeof value === "string" && NUMERIC_STRING_PATTERNS.number.test(value)
            ? Number(value)
            : null;
      if (number === null) return { spec: unionWith(spec, specFromValue(name, value, where)), stuck: false };
      const widened = { ...spec };
      if (widened.type === "integer" && !Number.isInteger(number)) widened.type = "number";
      if (widened.enum !== undefined && !widened.enum.includes(number)) widened.enum = [...widened.enum, number];
      if (widened.minimum !== undefined && number < widened.minimum) widened.minimum = number;
      if (widened.maximum !== undefined && number > widened.maximum) widened.maximum = number;
      return { spec: withChange(widened, "values"), stuck: false };
    }
    case "boolean":
      return { spec: unionWith(spec, specFromValue(name, value, where)), stuck: false };
    case "array": {
      if (!Array.isArray(value)) return { spec: unionWith(spec, specFromValue(name, value, where)), stuck: false };
      let items = spec.items;
      let stuck = false;
      for (const item of value) {
        const next = admit(items, item, name, `${where}[]`);
        items = next.spec;
        stuck ||= next.stuck;
      }
      const widened: ArrayField = { ...spec, items };
      if (widened.minItems !== undefined && value.length < widened.minItems) widened.minItems = value.length;
      if (widened.maxItems !== undefined && value.length > widened.maxItems) widened.maxItems = value.length;
      return { spec: fits(widened, value) || stuck ? widened : withChange(widened, "values"), stuck };
    }
    case "object": {
      if (!isRecord(value)) return { spec: unionWith(spec, specFromValue(name, value, where)), stuck: false };
      const properties = { ...spec.properties };
      const stuck = admitAll(properties, value, where);
      return { spec: { ...spec, properties }, stuck };
    }
    case "union": {
      // Widen the branch of the value's own JSON type, else add a branch for it.
      const kind = jsonKind(value);
      const index = spec.anyOf.findIndex((branch) => branchKind(branch) === kind);
      const branch = spec.anyOf[index];
      if (branch === undefined) {
        return {
          spec: withChange({ ...spec, anyOf: [...spec.anyOf, specFromValue(name, value, where)] }, "values"),
          stuck: false,
        };
      }
      const next = admit(branch, value, name, where);
      const anyOf = spec.anyOf.map((item, i) => (i === index ? next.spec : item));
      return { spec: next.stuck ? spec : withChange({ ...spec, anyOf }, "values"), stuck: next.stuck };
    }
  }
}

/** Admits each property of an example object into `fields` (new ones added); true when one is stuck. */
function admitAll(fields: Record<string, FieldSpec>, value: Record<string, unknown>, where: string): boolean {
  let stuck = false;
  for (const [name, item] of Object.entries(value)) {
    const current = fields[name];
    if (current === undefined) {
      fields[name] = withChange(specFromValue(name, item, `${where}.${name}`), "field");
      continue;
    }
    const next = admit(current, item, name, `${where}.${name}`);
    fields[name] = next.spec;
    stuck ||= next.stuck;
  }
  return stuck;
}

const jsonKind = (value: Json): string =>
  Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "number" ? "number" : typeof value;

function branchKind(spec: FieldSpec): string {
  return spec.type === "integer" ? "number" : spec.type === "union" ? "union" : spec.type;
}

function unionWith(spec: FieldSpec, other: FieldSpec): UnionField {
  const { required, nullable, deprecated, byExample, ...branch } = spec;
  const union: UnionField = { type: "union", anyOf: [branch as FieldSpec, other] };
  if (required) union.required = true;
  if (nullable) union.nullable = true;
  if (deprecated) union.deprecated = true;
  if (byExample) union.byExample = byExample;
  return withChange(union, "values");
}

export interface MergedExamples {
  examples: DocumentedExample[];
}

/**
 * Merges every example of `pages` into `models` (rows must exist for every
 * example's model) and returns the corpus. `notes` gets one line per change.
 */
export function mergeExamples(models: CatalogueModel[], pages: readonly PageFacts[], notes: string[]): MergedExamples {
  const byId = new Map(models.map((model) => [model.id, model]));
  const rowOf = (example: ExampleFacts): CatalogueModel => {
    const row = byId.get(example.model);
    if (row === undefined) throw new Error(`${example.model}: no catalogue row for an example's model`);
    return row;
  };
  // Fields and values.
  for (const page of pages) {
    for (const example of page.examples) {
      const row = rowOf(example);
      const { model: _model, ...fields } = example.body;
      const before = JSON.stringify(row.fields);
      const next = { ...row.fields };
      admitAll(next, fields, `${page.page} ${example.block}`);
      row.fields = next;
      if (JSON.stringify(row.fields) !== before) notes.push(`${row.id}: widened by ${page.page} ${example.block}`);
    }
  }
  // Required fields every example of the model on a page omits.
  for (const page of pages) {
    for (const row of new Set(page.examples.map(rowOf))) {
      const examples = page.examples.filter((example) => example.model === row.id);
      for (const [name, spec] of Object.entries(row.fields)) {
        if (spec.required !== true || examples.some((example) => name in example.body)) continue;
        const { required: _required, ...optional } = spec;
        row.fields[name] = withChange(optional as FieldSpec, "optional");
        notes.push(`${row.id}: ${name} optional, as every example on ${page.page} omits it`);
      }
    }
  }
  const examples: DocumentedExample[] = [];
  for (const page of pages) {
    const pagePoll = page.pollOnly[0]?.pollPath ?? null;
    for (const example of page.examples) {
      const row = rowOf(example);
      const replaced: string[] = [];
      const { model, ...fields } = example.body;
      const body: Record<string, JsonValue> = { model: model as string };
      for (const [name, value] of Object.entries(fields)) {
        body[name] = testValue(row.fields[name], value, name, replaced);
      }
      examples.push({
        page: page.page,
        block: example.block,
        model: example.model,
        createPath: example.createPath,
        pollPath: example.pollPath ?? pagePoll,
        idKey: example.idKey,
        body,
        replaced,
        answers: page.answers,
        refused: refusal(row, example, page),
      });
    }
  }
  return { examples };
}

/** Why the row refuses an example (the first reason), or null when it takes it. */
function refusal(
  row: CatalogueModel,
  example: ExampleFacts,
  page: PageFacts,
): { field: string; rule: string; why: string } | null {
  for (const [name, spec] of Object.entries(row.fields)) {
    if (spec.required === true && !(name in example.body)) {
      const twin = page.examples.find((other) => other.model === row.id && name in other.body);
      return {
        field: name,
        rule: "required",
        why:
          `the schema requires it and ${twin === undefined ? "another example" : `the page's ${twin.block} example`} ` +
          "sends it: this one's omission is a slip of the page, and the upstream needs the field",
      };
    }
  }
  for (const [name, value] of Object.entries(example.body)) {
    const spec = row.fields[name];
    if (name === "model" || spec === undefined) continue;
    const result = zodFor(spec).safeParse(value);
    if (result.success) continue;
    const issue = result.error.issues[0];
    const custom: unknown = issue?.code === "custom" ? issue.params?.["rule"] : undefined;
    const field = [name, ...(issue?.path ?? []).map(String)].join(".");
    const rule = typeof custom === "string" ? custom : (issue?.code ?? "invalid");
    return {
      field,
      rule,
      why:
        rule === "media"
          ? "a placeholder for the reader's own file, not a URL or data: URI: the upstream cannot fetch it either"
          : `refused: ${issue?.message ?? "not valid"}`,
    };
  }
  return null;
}

const TEST_TEXT =
  "Test text of wan-relay standing in for the documentation's own prose: a red kite circles a quiet harbour at dawn. ";

/** `length` characters of the project's own text. */
function filler(length: number): string {
  return TEST_TEXT.repeat(Math.ceil(length / TEST_TEXT.length)).slice(0, length);
}

const EXTENSION_BY_MEDIA: Record<MediaType, string> = { image: ".png", video: ".mp4", audio: ".mp3" };
const TINY_DATA: Record<MediaType, string> = {
  image: "data:image/png;base64,iVBORw0KGgo=",
  video: "data:video/mp4;base64,AAAAIGZ0eXBpc29t",
  audio: "data:audio/mpeg;base64,SUQzBAAAAAAA",
};

/**
 * The value of an example as test data: a media URL becomes the project's own
 * URL of the same kind (same file extension), a `data:` URI a tiny one of the
 * same type, prose in a free-text field the project's own text of the same
 * length; anything else is kept as documented.
 */
function testValue(spec: FieldSpec | undefined, value: unknown, path: string, replaced: string[]): JsonValue {
  if (typeof value === "string") {
    const media = spec?.type === "string" ? spec.media : undefined;
    if (media !== undefined || (spec === undefined && isHttpUrl(value))) {
      if (isHttpUrl(value)) {
        replaced.push(path);
        const extension =
          /\.[a-z0-9]{2,5}$/i.exec(new URL(value).pathname)?.[0] ?? EXTENSION_BY_MEDIA[media?.[0] ?? "image"];
        return `https://media.example.com/docs-examples/${path.replace(/\./g, "-")}${extension.toLowerCase()}`;
      }
      const data = parseDataUri(value);
      if (data !== null) {
        replaced.push(path);
        return TINY_DATA[data.kind ?? "image"];
      }
      return value;
    }
    const freeText =
      spec === undefined || (spec.type === "string" && spec.enum === undefined && spec.format === undefined);
    if (freeText && /\s/.test(value.trim())) {
      replaced.push(path);
      return filler(value.length);
    }
    return value;
  }
  if (Array.isArray(value)) {
    const items =
      spec?.type === "array"
        ? spec.items
        : branchFor(spec, value)?.type === "array"
          ? (branchFor(spec, value) as ArrayField).items
          : undefined;
    return value.map((item, index) => testValue(items, item, `${path}.${index}`, replaced));
  }
  if (isRecord(value)) {
    const object = spec?.type === "object" ? spec : (branchFor(spec, value) as ObjectField | undefined);
    const copy: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] = testValue(
        object?.type === "object" ? object.properties[key] : undefined,
        item,
        `${path}.${key}`,
        replaced,
      );
    }
    return copy;
  }
  return value as JsonValue;
}

/** The branch of a union that takes the value. */
function branchFor(spec: FieldSpec | undefined, value: unknown): FieldSpec | undefined {
  return spec?.type === "union" ? spec.anyOf.find((branch) => fits(branch, value)) : undefined;
}
