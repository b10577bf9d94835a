/**
 * The model catalogue (docs/api.md#models): every video model of the AI/ML API,
 * as the project's own data. The rows live in `catalogue-data.ts`, written by
 * `npm run sync-models`; this module looks them up.
 */
import { DEFAULT_MODEL_ID } from "../vocabulary.ts";
import { CATALOGUE_DATA } from "./catalogue-data.ts";
import type { CatalogueModel } from "./types.ts";

export type { CatalogueModel } from "./types.ts";
export { MODEL_KINDS } from "./types.ts";

export { DEFAULT_MODEL_ID };

/** Every model, sorted by id. */
export const MODELS: readonly CatalogueModel[] = CATALOGUE_DATA.models;

/** Where the facts come from (repository and commit). */
export const CATALOGUE_SOURCE = CATALOGUE_DATA.source;

const BY_ID = new Map(MODELS.map((model) => [model.id, model]));

export function findModel(id: string): CatalogueModel | undefined {
  return BY_ID.get(id);
}
