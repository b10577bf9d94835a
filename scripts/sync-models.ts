/**
 * Writes the model catalogue (`src/models/catalogue-data.ts`) from the AI/ML
 * API's published per-model request schemas and documentation pages, the
 * JSON Schema of each model's inputs beside it (`catalogue-schemas.ts`, what
 * `GET /v1/models` serves, so no isolate builds them at run time), and the
 * pages' example requests as test data (`test/support/documented-examples.ts`):
 *
 *   npm run sync-models -- <checkout of github.com/aimlapi/api-docs> [--out <file>] [--examples-out <file>] [--check]
 *
 * It reads every `docs/api-references/video-models/**\/*.json` (OpenAPI 3, one
 * file per model or per group of models) for facts only: ids, paths, field
 * types, allowed values, bounds, required, defaults; and every `.md` page
 * beside them (scripts/docs-examples.ts): the model ids it names, the schema
 * it links, its example requests and the answers it shows. No description,
 * code or other prose is copied. The outputs are sorted and formatted with the
 * project's Prettier settings, so running it again on the same checkout
 * changes nothing. `--check` compares instead of writing and exits 1 when a
 * file is stale. The JSON Schemas go in the folder of `--out`. docs/compatibility.md explains what the examples change.
 *
 * The rules, in the order they apply:
 *
 * - Models. Every POST operation with a JSON request body whose `model`
 *   property lists ids (`enum`) contributes those ids. A file with no such
 *   operation (the shared fetch endpoint) contributes none.
 * - Paths. Only the relay's two path styles are kept: `/v2/video/generations`
 *   (universal) and `/v2/generate/video/{vendor}/generation`. Other aliases
 *   (`/v1/video/generations`, `/video/generations`) are left out.
 * - Which schema describes a model. Several files may name the same id. The
 *   relay submits on the universal path, so a universal-path schema wins over
 *   a vendor-path one; among equals the one with the most fields (the others
 *   are older copies), then the first by file path.
 * - Fields. Each property except `model` becomes a field spec (see
 *   `src/models/types.ts`): type, enum, minimum/maximum, minLength/maxLength,
 *   items with minItems/maxItems, nested properties, `anyOf`/`oneOf` as a
 *   union, `nullable` (also as an `anyOf` branch `{nullable: true}`),
 *   `deprecated`, `required` (moved onto the field), `default`. A property
 *   without `type` takes it from its enum's values. A default given as a
 *   string for a number or boolean field is converted (`"5"` → 5); a default
 *   the field itself would refuse is dropped. Any other JSON Schema keyword
 *   stops the script, so a new construct is noticed rather than ignored.
 * - Media. A string (or each string of an array) is a media field when its
 *   format is `uri` or its name (the array's name for items) ends in `url`,
 *   `urls`, `image`, `images`, `image_list` or `mask`. Its media types come from
 *   the name: `audio` → audio; else `video` → video; else `image`, `mask` or
 *   `frame` → image; else, inside an object whose `type` property lists
 *   `image`/`video`/`audio`, those; else all three.
 * - Kind, first rule that matches: the id says `r2v` or `reference-to-video`
 *   → reference-to-video; the required fields hold image and audio media →
 *   avatar; they hold video media → video-to-video; they hold image media →
 *   image-to-video; the id says `i2v`/`image-to-video` → image-to-video, or
 *   `v2v`/`video-to-video` → video-to-video; otherwise text-to-video.
 * - Family: the id's first segment (`klingai/…` → kling, `kling-video/…` →
 *   kling, `wan/…` → alibaba, `veo2/…` → google, `runway-gen3/…` → runway);
 *   an id without `/` by its prefix (`veo…` → google, `gen<N>…` → runway,
 *   `video-01…` → minimax), else `other`.
 * - The default model `alibaba/wan2.5-t2v-preview` then gets the seed
 *   document's limits (SEED_OVERLAY below), which win over the published
 *   schema where both speak.
 * - An empty schema file is skipped (with a note).
 * - Pages. A model id a page names (its list of models, or an example's
 *   `model`) that no schema file names gets a row (`namedOnPage`): the fields
 *   of the schema the page links for its create operation, or none.
 * - Examples. Each page's example requests are merged into the rows of the
 *   models they name (scripts/example-merge.ts states how: new fields, wider
 *   values, required fields every example omits), and written out as the
 *   corpus, each with the relay's expected answer.
 *
 * Erasable TypeScript only, so `node scripts/sync-models.ts` runs it directly.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import * as prettier from "prettier";
import { readPage, type PageFacts } from "./docs-examples.ts";
import type { DocumentedExamples } from "./documented-examples-types.ts";
import { mergeExamples } from "./example-merge.ts";
import { MEDIA_NAME, mediaTypesOf } from "./field-rules.ts";
import type {
  ArrayField,
  CatalogueData,
  CatalogueModel,
  FieldSpec,
  MediaType,
  ModelKind,
  NumberField,
  ObjectField,
  StringField,
} from "../src/models/types.ts";
import { buildInputsJsonSchema } from "../src/models/validate.ts";

export const SOURCE_REPOSITORY = "aimlapi/api-docs";
export const SOURCE_DIR = "docs/api-references/video-models";
export const UNIVERSAL_PATH = "/v2/video/generations";
const VENDOR_PATH = /^\/v2\/generate\/video\/[a-z0-9-]+\/generation$/;
export const DEFAULT_MODEL_ID = "alibaba/wan2.5-t2v-preview";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_OUT = join(REPO_ROOT, "src", "models", "catalogue-data.ts");
export const DEFAULT_EXAMPLES_OUT = join(REPO_ROOT, "test", "support", "documented-examples.ts");

/**
 * The seed document's limits for the default model (docs/compatibility.md,
 * "The default model"). Each
 * entry is merged over the published field (its keys win); `enable_prompt_expansion`,
 * the seed document's name of the flag the published schema calls
 * `enhance_prompt`, is the same flag under a second name.
 */
export const SEED_OVERLAY: { id: string; paths: string[]; fields: Record<string, FieldSpec> } = {
  id: DEFAULT_MODEL_ID,
  // The seed document's client submits and polls here.
  paths: ["/v2/generate/video/alibaba/generation"],
  fields: {
    prompt: { type: "string", required: true, minLength: 1, maxLength: 800 },
    negative_prompt: { type: "string", maxLength: 500 },
    aspect_ratio: { type: "string", enum: ["16:9", "9:16", "1:1"], default: "16:9" },
    resolution: { type: "string", enum: ["480p", "720p", "1080p"], default: "720p" },
    duration: { type: "integer", enum: [5, 10] },
    seed: { type: "integer", minimum: 0, maximum: 2147483647 },
    enhance_prompt: { type: "boolean", default: true },
    enable_prompt_expansion: { type: "boolean", default: true, sameAs: "enhance_prompt" },
  },
};

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** One POST operation of one source file. */
export interface SourceOperation {
  /** The file, relative to the checkout, with `/` separators. */
  file: string;
  path: string;
  /** The request body's JSON schema (an object schema with a `model` property). */
  schema: JsonObject;
  ids: string[];
}

export interface SyncResult {
  data: CatalogueData;
  /** The documentation's example requests, as the corpus test's data. */
  examples: DocumentedExamples;
  /** Things a reviewer may want to know (choices between duplicate files, dropped defaults, example changes). */
  notes: string[];
}

/** Every file under the video-models folder whose name ends with `extension`, sorted by path. */
function listSourceFiles(checkout: string, extension: string): string[] {
  const root = join(checkout, SOURCE_DIR);
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(extension))
        found.push(relative(checkout, full).split(sep).join("/"));
    }
  };
  walk(root);
  return found.sort(compareStrings);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The checkout's commit, when the folder is the top of a git work tree. */
function sourceCommit(checkout: string): string | null {
  try {
    const git = (...args: string[]): string =>
      execFileSync("git", ["-C", checkout, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (realpathSync(git("rev-parse", "--show-toplevel")) !== realpathSync(checkout)) return null;
    return git("rev-parse", "HEAD");
  } catch {
    return null;
  }
}

export interface Source {
  operations: SourceOperation[];
  /** The documentation pages' facts (model lists, linked schemas, examples, answers). */
  pages: PageFacts[];
  commit: string | null;
  /** Schema files skipped because they are empty. */
  empty: string[];
}

/** Reads the POST operations of every schema file and the facts of every documentation page. */
export function readSource(checkout: string): Source {
  const operations: SourceOperation[] = [];
  const empty: string[] = [];
  for (const file of listSourceFiles(checkout, ".json")) {
    const text = readFileSync(join(checkout, file), "utf8");
    // Some snapshots hold empty schema files; their models still get rows from the pages that name them.
    if (text.trim() === "") {
      empty.push(file);
      continue;
    }
    const document: unknown = JSON.parse(text);
    if (!isObject(document) || !isObject(document["paths"])) throw new Error(`${file}: not an OpenAPI document`);
    for (const [path, item] of Object.entries(document["paths"])) {
      if (!isObject(item) || !isObject(item["post"])) continue;
      const requestBody = item["post"]["requestBody"];
      const content = isObject(requestBody) ? requestBody["content"] : undefined;
      const json = isObject(content) ? content["application/json"] : undefined;
      const schema = isObject(json) ? json["schema"] : undefined;
      if (!isObject(schema)) continue;
      const properties = schema["properties"];
      const model = isObject(properties) ? properties["model"] : undefined;
      const ids = isObject(model) && Array.isArray(model["enum"]) ? model["enum"] : [];
      if (ids.length === 0 || !ids.every((id): id is string => typeof id === "string")) {
        throw new Error(`${file} POST ${path}: no "model" enum of ids`);
      }
      operations.push({ file, path, schema, ids });
    }
  }
  const pages = listSourceFiles(checkout, ".md").map((file) =>
    readPage(file.slice(SOURCE_DIR.length + 1), readFileSync(join(checkout, file), "utf8")),
  );
  return { operations, pages, commit: sourceCommit(checkout), empty };
}

/**
 * Builds the catalogue from the operations and pages `readSource` found, and
 * the corpus of the pages' example requests.
 */
export function buildCatalogue(
  operations: readonly SourceOperation[],
  commit: string | null,
  pages: readonly PageFacts[] = [],
): SyncResult {
  const notes: string[] = [];
  const byId = new Map<string, SourceOperation[]>();
  for (const operation of operations) {
    for (const id of operation.ids) {
      const list = byId.get(id) ?? [];
      list.push(operation);
      byId.set(id, list);
    }
  }
  const models: CatalogueModel[] = [];
  for (const [id, candidates] of byId) {
    const chosen = chooseSchema(candidates);
    const others = candidates.filter(
      (c) => c !== chosen && c.path === UNIVERSAL_PATH && chosen.path === UNIVERSAL_PATH,
    );
    if (others.length > 0) {
      notes.push(`${id}: fields from ${chosen.file}; also described by ${others.map((o) => o.file).join(", ")}`);
    }
    const fields = convertTopLevel(chosen, notes);
    const paths = [...new Set(candidates.map((c) => c.path).filter(isRelayPath))].sort(compareStrings);
    models.push({ id, family: familyOf(id, notes), kind: "text-to-video", paths, fields });
  }
  const defaultModel = models.find((model) => model.id === SEED_OVERLAY.id);
  if (defaultModel === undefined) throw new Error(`the default model ${SEED_OVERLAY.id} is not in the source`);
  applyOverlay(defaultModel);
  // The kind is the schema's fact, taken before examples relax anything.
  for (const model of models) model.kind = kindOf(model);
  const pageRows = addPageRows(models, operations, pages, notes);
  const { examples } = mergeExamples(models, pages, notes);
  // A row whose fields come from examples only: its kind from the media they all send.
  for (const row of pageRows) {
    if (row.namedOnPage?.schemaOf !== null) continue;
    const sent = Object.fromEntries(Object.entries(row.fields).map(([name, field]) => [name, withRequired(field)]));
    row.kind = kindOf({ ...row, fields: sent });
  }
  for (const model of models) {
    for (const example of examples) {
      if (example.model === model.id && isRelayPath(example.createPath) && !model.paths.includes(example.createPath)) {
        model.paths = [...model.paths, example.createPath].sort(compareStrings);
      }
    }
  }
  models.sort((a, b) => compareStrings(a.id, b.id));
  const source = { repository: SOURCE_REPOSITORY, commit };
  const namedIds = new Set([
    ...operations.flatMap((operation) => operation.ids),
    ...pages.flatMap((page) => [...page.namedIds, ...page.examples.map((example) => example.model)]),
  ]);
  return {
    data: { source, models },
    examples: {
      source,
      examples,
      polls: pages.flatMap((page) =>
        page.pollOnly.map(({ block, pollPath }) => ({ page: page.page, block, pollPath })),
      ),
      unreadable: pages.flatMap((page) =>
        page.unreadable.map(({ block, reason }) => ({ page: page.page, block, reason })),
      ),
      namedIds: [...namedIds].sort(compareStrings),
    },
    notes,
  };
}

/**
 * A row for every model id a page names (its list of models, its examples)
 * that no schema file names: the fields of the schema the page links for its
 * create operation (the first linked file that describes a model), else none
 * (the examples then give them). Returns the new rows, already in `models`.
 */
function addPageRows(
  models: CatalogueModel[],
  operations: readonly SourceOperation[],
  pages: readonly PageFacts[],
  notes: string[],
): CatalogueModel[] {
  const known = new Set(models.map((model) => model.id));
  const added: CatalogueModel[] = [];
  for (const page of pages) {
    const ids = [...new Set([...page.namedIds, ...page.examples.map((example) => example.model)])];
    for (const id of ids) {
      if (known.has(id)) continue;
      known.add(id);
      const linked = operations.filter((operation) =>
        page.linkedSchemas.some((file) => operation.file === `${SOURCE_DIR}/${file}`),
      );
      const chosen = linked.length > 0 ? chooseSchema(linked) : null;
      const row: CatalogueModel = {
        id,
        family: familyOf(id, notes),
        kind: "text-to-video",
        paths: chosen === null ? [] : [...new Set(linked.map((c) => c.path).filter(isRelayPath))].sort(compareStrings),
        fields: chosen === null ? {} : convertTopLevel(chosen, notes),
        namedOnPage: { page: page.page, schemaOf: chosen?.ids[0] ?? null },
      };
      row.kind = kindOf(row);
      notes.push(
        `${id}: named by ${page.page}, no schema file of its own; ` +
          (chosen === null ? "fields from its examples only" : `fields of ${chosen.ids[0] ?? "?"} (${chosen.file})`),
      );
      models.push(row);
      added.push(row);
    }
  }
  return added;
}

const isRelayPath = (path: string): boolean => path === UNIVERSAL_PATH || VENDOR_PATH.test(path);

function chooseSchema(candidates: readonly SourceOperation[]): SourceOperation {
  const fieldCount = (c: SourceOperation): number =>
    isObject(c.schema["properties"]) ? Object.keys(c.schema["properties"]).length : 0;
  const ranked = [...candidates].sort(
    (a, b) =>
      Number(b.path === UNIVERSAL_PATH) - Number(a.path === UNIVERSAL_PATH) ||
      fieldCount(b) - fieldCount(a) ||
      compareStrings(a.file, b.file) ||
      compareStrings(a.path, b.path),
  );
  const best = ranked[0];
  if (best === undefined) throw new Error("no candidate schema");
  return best;
}

function convertTopLevel(operation: SourceOperation, notes: string[]): Record<string, FieldSpec> {
  const where = `${operation.file} POST ${operation.path}`;
  if (operation.schema["type"] !== "object") throw new Error(`${where}: the request body is not an object schema`);
  const converted = convertObject(operation.schema, where, notes);
  const { model: _model, ...fields } = converted.properties;
  return fields;
}

/** Keywords read, and keywords that carry prose or examples only (skipped). */
const KNOWN_KEYWORDS = new Set([
  "type",
  "enum",
  "format",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "items",
  "properties",
  "required",
  "nullable",
  "deprecated",
  "anyOf",
  "oneOf",
]);
const SKIPPED_KEYWORDS = new Set(["description", "example", "examples", "title"]);

function checkKeywords(schema: JsonObject, where: string): void {
  for (const key of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(key) && !SKIPPED_KEYWORDS.has(key) && !key.startsWith("x-")) {
      throw new Error(`${where}: unsupported schema keyword "${key}"`);
    }
  }
}

const isNullOnly = (schema: JsonObject): boolean =>
  schema["type"] === "null" ||
  (schema["type"] === undefined && schema["nullable"] === true && schema["enum"] === undefined);

/**
 * One property's schema as a field spec. `name` is the property's name (the
 * array's name for its items), `siblingTypes` the values of a sibling `type`
 * enum, both used by the media rule.
 */
function convertField(
  value: unknown,
  name: string,
  siblingTypes: readonly string[],
  where: string,
  notes: string[],
): FieldSpec {
  if (!isObject(value)) throw new Error(`${where}: not a schema`);
  checkKeywords(value, where);
  const branches = value["anyOf"] ?? value["oneOf"];
  if (branches !== undefined) return convertUnion(value, branches, name, siblingTypes, where, notes);

  const type = value["type"] ?? typeFromEnum(value["enum"]);
  let field: FieldSpec;
  switch (type) {
    case "string":
      field = convertString(value, name, siblingTypes, where);
      break;
    case "integer":
    case "number":
      field = convertNumber(value, type === "integer" ? "integer" : "number", where);
      break;
    case "boolean":
      field = { type: "boolean" };
      break;
    case "array":
      field = convertArray(value, name, siblingTypes, where, notes);
      break;
    case "object":
      field = convertObject(value, where, notes);
      break;
    default:
      throw new Error(`${where}: unsupported type ${JSON.stringify(type)}`);
  }
  if (value["nullable"] === true) field.nullable = true;
  if (value["deprecated"] === true) field.deprecated = true;
  setDefault(field, value["default"], where, notes);
  return field;
}

function typeFromEnum(values: unknown): string | undefined {
  if (!Array.isArray(values) || values.length === 0) return undefined;
  if (values.every((v) => typeof v === "string")) return "string";
  if (values.every((v) => Number.isInteger(v))) return "integer";
  if (values.every((v) => typeof v === "number")) return "number";
  return undefined;
}

function convertString(value: JsonObject, name: string, siblingTypes: readonly string[], where: string): StringField {
  const field: StringField = { type: "string" };
  const values = value["enum"];
  if (values !== undefined) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
      throw new Error(`${where}: a string enum with values that are not strings`);
    }
    field.enum = values;
  }
  copyBound(value, field, "minLength", where);
  copyBound(value, field, "maxLength", where);
  const format = value["format"];
  if (format !== undefined && format !== "uri" && format !== "uuid") {
    throw new Error(`${where}: unsupported format ${JSON.stringify(format)}`);
  }
  if (field.enum === undefined && (format === "uri" || MEDIA_NAME.test(name))) {
    field.media = mediaTypesOf(name, siblingTypes);
  } else if (format !== undefined) {
    field.format = format;
  }
  return field;
}

function convertNumber(value: JsonObject, type: "integer" | "number", where: string): NumberField {
  const field: NumberField = { type };
  const values = value["enum"];
  if (values !== undefined) {
    const numbers = Array.isArray(values) ? values.map(toNumber) : [];
    if (!Array.isArray(values) || numbers.some((n) => n === undefined)) {
      throw new Error(`${where}: a numeric enum with values that are not numbers`);
    }
    field.enum = numbers.filter((n): n is number => n !== undefined);
  }
  copyBound(value, field, "minimum", where);
  copyBound(value, field, "maximum", where);
  return field;
}

function convertArray(
  value: JsonObject,
  name: string,
  siblingTypes: readonly string[],
  where: string,
  notes: string[],
): ArrayField {
  const field: ArrayField = {
    type: "array",
    items: convertField(value["items"], name, siblingTypes, `${where}[]`, notes),
  };
  copyBound(value, field, "minItems", where);
  copyBound(value, field, "maxItems", where);
  return field;
}

function convertObject(value: JsonObject, where: string, notes: string[]): ObjectField {
  const properties = value["properties"] ?? {};
  if (!isObject(properties)) throw new Error(`${where}: "properties" is not an object`);
  const typeEnum = isObject(properties["type"]) ? properties["type"]["enum"] : undefined;
  const siblingTypes = Array.isArray(typeEnum) ? typeEnum.filter((v): v is string => typeof v === "string") : [];
  const field: ObjectField = { type: "object", properties: {} };
  for (const [name, schema] of Object.entries(properties)) {
    field.properties[name] = convertField(schema, name, siblingTypes, `${where} ${name}`, notes);
  }
  const required = value["required"] ?? [];
  if (!Array.isArray(required)) throw new Error(`${where}: "required" is not a list`);
  for (const name of required) {
    const property = typeof name === "string" ? field.properties[name] : undefined;
    if (property === undefined) notes.push(`${where}: required ${JSON.stringify(name)} is not a property (ignored)`);
    else field.properties[name] = withRequired(property);
  }
  return field;
}

/** The same spec with `required: true` right after `type`, so every row reads alike. */
function withRequired(field: FieldSpec): FieldSpec {
  const { type, ...rest } = field;
  return { type, required: true, ...rest } as FieldSpec;
}

function convertUnion(
  value: JsonObject,
  branches: unknown,
  name: string,
  siblingTypes: readonly string[],
  where: string,
  notes: string[],
): FieldSpec {
  if (value["type"] !== undefined || (value["anyOf"] !== undefined && value["oneOf"] !== undefined)) {
    throw new Error(`${where}: a union with "type" or with both anyOf and oneOf`);
  }
  if (!Array.isArray(branches)) throw new Error(`${where}: anyOf/oneOf is not a list`);
  let nullable = value["nullable"] === true;
  const anyOf: FieldSpec[] = [];
  branches.forEach((branch, index) => {
    if (isObject(branch) && isNullOnly(branch)) nullable = true;
    else anyOf.push(convertField(branch, name, siblingTypes, `${where} |${index}`, notes));
  });
  const only = anyOf.length === 1 ? anyOf[0] : undefined;
  const field: FieldSpec = only ?? { type: "union", anyOf };
  if (anyOf.length === 0) throw new Error(`${where}: a union of null only`);
  if (nullable) field.nullable = true;
  if (value["deprecated"] === true) field.deprecated = true;
  return field;
}

function copyBound<K extends "minimum" | "maximum" | "minLength" | "maxLength" | "minItems" | "maxItems">(
  value: JsonObject,
  field: Partial<Record<K, number>>,
  key: K,
  where: string,
): void {
  const bound = value[key];
  if (bound === undefined) return;
  if (typeof bound !== "number") throw new Error(`${where}: ${key} is not a number`);
  field[key] = bound;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Sets `default` when the field itself would accept it (after converting `"5"` → 5, `"true"` → true). */
function setDefault(field: FieldSpec, value: unknown, where: string, notes: string[]): void {
  if (value === undefined) return;
  let fitting: unknown = undefined;
  switch (field.type) {
    case "string":
      if (typeof value === "string" && (field.enum === undefined || field.enum.includes(value))) fitting = value;
      break;
    case "integer":
    case "number": {
      const number = toNumber(value);
      if (
        number !== undefined &&
        (field.type === "number" || Number.isInteger(number)) &&
        (field.enum === undefined || field.enum.includes(number)) &&
        (field.minimum === undefined || number >= field.minimum) &&
        (field.maximum === undefined || number <= field.maximum)
      ) {
        fitting = number;
      }
      break;
    }
    case "boolean":
      if (typeof value === "boolean") fitting = value;
      else if (value === "true" || value === "false") fitting = value === "true";
      break;
    default:
      break;
  }
  if (fitting === undefined) {
    notes.push(`${where}: default ${JSON.stringify(value)} does not fit the field (dropped)`);
    return;
  }
  (field as { default?: unknown }).default = fitting;
}

/** Media types anywhere inside a field. */
function mediaIn(field: FieldSpec, into = new Set<MediaType>()): Set<MediaType> {
  switch (field.type) {
    case "string":
      for (const type of field.media ?? []) into.add(type);
      break;
    case "array":
      mediaIn(field.items, into);
      break;
    case "object":
      for (const property of Object.values(field.properties)) mediaIn(property, into);
      break;
    case "union":
      for (const branch of field.anyOf) mediaIn(branch, into);
      break;
    default:
      break;
  }
  return into;
}

function kindOf(model: CatalogueModel): ModelKind {
  const id = model.id.toLowerCase();
  if (/(^|[^a-z0-9])r2v($|[^a-z0-9])|reference-to-video/.test(id)) return "reference-to-video";
  const required = new Set<MediaType>();
  for (const field of Object.values(model.fields)) if (field.required) mediaIn(field, required);
  if (required.has("image") && required.has("audio")) return "avatar";
  if (required.has("video")) return "video-to-video";
  if (required.has("image")) return "image-to-video";
  if (/(^|[^a-z0-9])i2v($|[^a-z0-9])|image-to-video/.test(id)) return "image-to-video";
  if (/(^|[^a-z0-9])v2v($|[^a-z0-9])|video-to-video/.test(id)) return "video-to-video";
  return "text-to-video";
}

const FAMILY_ALIASES: Record<string, string> = {
  klingai: "kling",
  "kling-video": "kling",
  "runway-gen3": "runway",
  wan: "alibaba",
  veo2: "google",
};
const FAMILY_BY_PREFIX: [RegExp, string][] = [
  [/^veo/, "google"],
  [/^gen\d/, "runway"],
  [/^video-01/, "minimax"],
];

function familyOf(id: string, notes: string[]): string {
  const slash = id.indexOf("/");
  if (slash > 0) {
    const segment = id.slice(0, slash).toLowerCase();
    return FAMILY_ALIASES[segment] ?? segment;
  }
  for (const [prefix, family] of FAMILY_BY_PREFIX) if (prefix.test(id)) return family;
  notes.push(`${id}: no family rule matches (family "other")`);
  return "other";
}

/** Merges SEED_OVERLAY into the default model's row (new fields go after their `sameAs` partner). */
function applyOverlay(model: CatalogueModel): void {
  model.paths = [...new Set([...model.paths, ...SEED_OVERLAY.paths])].sort(compareStrings);
  const fields: Record<string, FieldSpec> = {};
  const pending = new Map(Object.entries(SEED_OVERLAY.fields));
  const place = (name: string, field: FieldSpec): void => {
    fields[name] = field;
    for (const [alias, spec] of pending) {
      if (spec.type === "boolean" && spec.sameAs === name && model.fields[alias] === undefined) {
        pending.delete(alias);
        fields[alias] = spec;
      }
    }
  };
  for (const [name, published] of Object.entries(model.fields)) {
    const overlay = pending.get(name);
    pending.delete(name);
    if (overlay !== undefined && overlay.type !== published.type) {
      throw new Error(`overlay of ${model.id} ${name}: type ${overlay.type}, published ${published.type}`);
    }
    place(name, overlay === undefined ? published : ({ ...published, ...overlay } as FieldSpec));
  }
  for (const [name, spec] of pending) fields[name] = spec;
  model.fields = fields;
}

export function sourceCommentLine(data: Pick<CatalogueData, "source">): string {
  const at = data.source.commit === null ? "" : ` at ${data.source.commit}`;
  return `${data.source.repository}${at}`;
}

/** The data file's text, formatted as the project's Prettier would. */
export async function renderCatalogue(data: CatalogueData): Promise<string> {
  const text = [
    "/**",
    " * GENERATED by `npm run sync-models`: facts from the per-model request",
    ` * schemas of ${sourceCommentLine(data)}.`,
    " * Do not edit by hand: change scripts/sync-models.ts and run it again.",
    " */",
    'import type { CatalogueData } from "./types.ts";',
    "",
    `export const CATALOGUE_DATA: CatalogueData = ${JSON.stringify(data)};`,
    "",
  ].join("\n");
  // The project's settings whatever the output path (a test may write to a temporary folder).
  const config = (await prettier.resolveConfig(DEFAULT_OUT)) ?? {};
  return prettier.format(text, { ...config, filepath: DEFAULT_OUT });
}

/** The name of the JSON Schemas' file, in the folder of the catalogue's. */
const SCHEMAS_FILE = "catalogue-schemas.ts";

/**
 * The JSON Schemas' file: each model's, built from its zod schemas
 * (src/models/validate.ts), as the text `GET /v1/models` serves, parsed by
 * the Worker when first asked for.
 */
export async function renderSchemas(data: CatalogueData): Promise<string> {
  const schemas = Object.fromEntries(
    data.models.map((model) => [model.id, JSON.stringify(buildInputsJsonSchema(model))]),
  );
  const text = [
    "/**",
    " * GENERATED by `npm run sync-models`: the JSON Schema of each model's input",
    " * fields, as `GET /v1/models` serves it, built by src/models/validate.ts",
    " * (buildInputsJsonSchema) from the catalogue's rows, facts of",
    ` * ${sourceCommentLine(data)}.`,
    " * Text, parsed when first served. Do not edit by hand: run the script again.",
    " */",
    "",
    `export const INPUT_SCHEMAS: Readonly<Record<string, string>> = ${JSON.stringify(schemas)};`,
    "",
  ].join("\n");
  const config = (await prettier.resolveConfig(DEFAULT_OUT)) ?? {};
  return prettier.format(text, { ...config, filepath: DEFAULT_OUT });
}

function summary(data: CatalogueData, text: string): string[] {
  const count = (key: (model: CatalogueModel) => string): string => {
    const counts = new Map<string, number>();
    for (const model of data.models) counts.set(key(model), (counts.get(key(model)) ?? 0) + 1);
    return [...counts]
      .sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
  };
  const bytes = Buffer.byteLength(text);
  return [
    `${data.models.length} models from ${sourceCommentLine(data)}`,
    `by family: ${count((m) => m.family)}`,
    `by kind: ${count((m) => m.kind)}`,
    `data file: ${bytes} bytes, ${gzipSync(text).byteLength} bytes gzip`,
  ];
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: "string" },
      "examples-out": { type: "string" },
      check: { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  const checkout = positionals[0];
  if (checkout === undefined || positionals.length > 1) {
    console.error(
      "usage: npm run sync-models -- <checkout of aimlapi/api-docs> [--out <file>] [--examples-out <file>] [--check] [--quiet]",
    );
    return 2;
  }
  const { operations, pages, commit, empty } = readSource(resolve(checkout));
  const { data, examples, notes } = buildCatalogue(operations, commit, pages);
  const out = resolve(values.out ?? DEFAULT_OUT);
  const outputs: [path: string, text: string][] = [
    [out, await renderCatalogue(data)],
    [join(dirname(out), SCHEMAS_FILE), await renderSchemas(data)],
    [resolve(values["examples-out"] ?? DEFAULT_EXAMPLES_OUT), await renderExamples(examples)],
  ];
  if (values.quiet !== true) {
    for (const file of empty) console.log(`note: ${file} is empty (skipped)`);
    for (const note of new Set(notes)) console.log(`note: ${note}`);
    for (const line of summary(data, outputs[0]?.[1] ?? "")) console.log(line);
    for (const line of exampleSummary(examples)) console.log(line);
  }
  if (values.check === true) {
    let stale = false;
    for (const [out, text] of outputs) {
      let current = "";
      try {
        current = readFileSync(out, "utf8");
      } catch {
        // Missing counts as stale.
      }
      if (current !== text) {
        console.error(`${relative(process.cwd(), out)} is not what the source gives: run npm run sync-models`);
        stale = true;
      } else console.log(`${relative(process.cwd(), out)} is up to date`);
    }
    return stale ? 1 : 0;
  }
  for (const [out, text] of outputs) {
    writeFileSync(out, text);
    if (values.quiet !== true) console.log(`wrote ${relative(process.cwd(), out)}`);
  }
  return 0;
}

/** The examples data file's text, formatted as the project's Prettier would. */
export async function renderExamples(examples: DocumentedExamples): Promise<string> {
  const text = [
    "/**",
    " * GENERATED by `npm run sync-models`: the example requests of the per-model",
    ` * documentation pages of ${sourceCommentLine(examples)}, as data.`,
    " * Facts only: prose is replaced by the project's own text of the same length",
    " * and media URLs by its own URLs (each example's `replaced` lists them).",
    " * Do not edit by hand: change scripts/sync-models.ts and run it again.",
    " */",
    'import type { DocumentedExamples } from "../../scripts/documented-examples-types.ts";',
    "",
    `export const DOCUMENTED_EXAMPLES: DocumentedExamples = ${JSON.stringify(examples)};`,
    "",
  ].join("\n");
  const config = (await prettier.resolveConfig(DEFAULT_EXAMPLES_OUT)) ?? {};
  return prettier.format(text, { ...config, filepath: DEFAULT_EXAMPLES_OUT });
}

function exampleSummary(examples: DocumentedExamples): string[] {
  const refused = examples.examples.filter((example) => example.refused !== null);
  return [
    `${examples.examples.length} example requests on the pages (${examples.polls.length} poll-only scripts, ` +
      `${examples.unreadable.length} that do not parse), ${examples.examples.length - refused.length} taken unchanged`,
    ...refused.map(
      (example) =>
        `refused on purpose: ${example.page} ${example.block}: ${example.refused?.field ?? "?"} (${example.refused?.rule ?? "?"})`,
    ),
    ...examples.unreadable.map((block) => `unreadable: ${block.page} ${block.block}: ${block.reason}`),
  ];
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
