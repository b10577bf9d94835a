/**
 * `checkModelInput` for the HTTP layer: a refused body becomes the 400
 * `ApiError` that names each field (kept apart from validate.ts, which has no
 * dependency on the HTTP layer so that Node-side tools can use it as well).
 */
import { ApiError } from "../lib/errors.ts";
import type { CatalogueModel } from "./types.ts";
import { checkModelInput, type ModelInputOptions } from "./validate.ts";

export function validateModelInput(
  body: Readonly<Record<string, unknown>>,
  options: ModelInputOptions = {},
): { model: CatalogueModel; input: Record<string, unknown> } {
  const checked = checkModelInput(body, options);
  if (checked.ok) return { model: checked.model, input: checked.input };
  const first = checked.details[0];
  throw new ApiError(400, "invalid_request", first ? first.message : "The request is not valid", checked.details);
}
