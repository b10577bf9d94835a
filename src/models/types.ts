/**
 * The shape of the model catalogue (README, "Routes"; docs/compatibility.md):
 * one row per video model of the AI/ML API, facts only. `scripts/sync-models.ts` writes the rows into
 * `catalogue-data.ts`; `validate.ts` turns a row into a validator and a JSON
 * Schema.
 *
 * A field spec is a small subset of JSON Schema with the relay's own
 * additions (`media`, `sameAs`), flattened so a row reads on one screen:
 * `required` sits on the field rather than in a list on its parent.
 */

/** What a model turns into a video, derived by the sync script (its header documents the rule). */
export type ModelKind = "text-to-video" | "image-to-video" | "video-to-video" | "reference-to-video" | "avatar";

export const MODEL_KINDS: readonly ModelKind[] = [
  "text-to-video",
  "image-to-video",
  "video-to-video",
  "reference-to-video",
  "avatar",
];

/** The kinds of file a media field takes (a URL to one, or a `data:` URI of one). */
export type MediaType = "image" | "video" | "audio";

interface FieldCommon {
  /** The parent object needs this field. */
  required?: true;
  /** `null` is allowed as well. */
  nullable?: true;
  /** Marked deprecated by the source; still accepted. */
  deprecated?: true;
  /**
   * What the documentation's example requests changed (docs/compatibility.md):
   * `field`: the schema file omits the field, an example sends it (typed from
   * the example's value); `values`: an example sends a value outside the
   * schema's allowed values or bounds, now allowed; `optional`: the schema
   * marks the field required, every example on the model's page omits it.
   */
  byExample?: ExampleChange[];
}

export type ExampleChange = "field" | "values" | "optional";

export interface StringField extends FieldCommon {
  type: "string";
  enum?: string[];
  minLength?: number;
  maxLength?: number;
  /** Only for strings that are not media: media strings carry `media` instead. */
  format?: "uri" | "uuid";
  /** A media field: an http(s) URL or a base64 `data:` URI of one of these types. */
  media?: MediaType[];
  default?: string;
}

export interface NumberField extends FieldCommon {
  type: "integer" | "number";
  enum?: number[];
  minimum?: number;
  maximum?: number;
  default?: number;
}

export interface BooleanField extends FieldCommon {
  type: "boolean";
  default?: boolean;
  /** Another name of the same flag (`enable_prompt_expansion` ↔ `enhance_prompt`): the value is sent upstream under that name. */
  sameAs?: string;
}

export interface ArrayField extends FieldCommon {
  type: "array";
  items: FieldSpec;
  minItems?: number;
  maxItems?: number;
}

export interface ObjectField extends FieldCommon {
  type: "object";
  properties: Record<string, FieldSpec>;
}

/** One of several shapes (the source's `anyOf` / `oneOf`). */
export interface UnionField extends FieldCommon {
  type: "union";
  anyOf: FieldSpec[];
}

export type FieldSpec = StringField | NumberField | BooleanField | ArrayField | ObjectField | UnionField;

export interface CatalogueModel {
  /** The upstream's model id, e.g. `alibaba/wan2.5-t2v-preview` (may contain `/`). */
  id: string;
  /** The vendor, lower case: `alibaba`, `kling`, `google`, … (also the vendor path's segment where there is one). */
  family: string;
  kind: ModelKind;
  /** The upstream POST paths documented for this model, sorted: `/v2/video/generations` and/or `/v2/generate/video/{vendor}/generation`. */
  paths: string[];
  /** The input fields other than `model`, in the source's order. */
  fields: Record<string, FieldSpec>;
  /**
   * Set when no schema file names this id but a documentation page does (in
   * its list of models or in an example): that page, and the id whose schema
   * the page links (the row's fields are that schema's, plus the examples'),
   * or null when it links none that could be read.
   */
  namedOnPage?: { page: string; schemaOf: string | null };
}

export interface CatalogueData {
  /** Where the facts come from: the public repository and, when known, its commit. */
  source: { repository: string; commit: string | null };
  /** Sorted by id. */
  models: CatalogueModel[];
}
