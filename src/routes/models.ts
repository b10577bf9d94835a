/**
 * The model catalogue (docs/api.md#native-api, #models), mounted at /v1: every model
 * the relay can create a generation with, each as `{id, kind, inputs}` where
 * `inputs` is the JSON Schema of its input fields, built by validate.ts from
 * the same zod schemas that check a create body, so the two cannot drift.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../lib/errors.ts";
import { requireKey, type AppEnv } from "../lib/http.ts";
import { findModel, MODEL_KINDS, MODELS, type CatalogueModel } from "../models/catalogue.ts";
import { inputsJsonSchema } from "../models/validate.ts";
import { BEARER, json, nativeErrors } from "./common.ts";

export const models = new OpenAPIHono<AppEnv>();

const ModelSchema = z
  .object({
    id: z.string().openapi({ example: "google/veo-3.1-t2v", description: "The model id (may contain `/`)" }),
    kind: z.enum(MODEL_KINDS).openapi({ example: "text-to-video" }),
    inputs: z.record(z.string(), z.unknown()).openapi({
      type: "object",
      additionalProperties: true,
      description:
        "JSON Schema (draft 2020-12) of the model's input fields (without `model`): types, allowed values, bounds, " +
        "`required`, defaults as facts (the relay adds none); media fields carry `format: uri` and `x-media` " +
        '(`["image"]`, `["video"]`, `["audio"]`) and take an http(s) URL or a base64 `data:` URI',
    }),
  })
  .openapi("Model");

const ModelListSchema = z.object({ data: z.array(ModelSchema) }).openapi("ModelList");

export type Model = z.infer<typeof ModelSchema>;

const view = (model: CatalogueModel): Model => ({ id: model.id, kind: model.kind, inputs: inputsJsonSchema(model) });

export const listModelsRoute = createRoute({
  tags: ["Models"],
  method: "get",
  path: "/models",
  summary: "Every model a generation can use, with the JSON Schema of its inputs",
  security: BEARER,
  middleware: [requireKey],
  responses: {
    200: json(ModelListSchema, "The whole catalogue, sorted by id"),
    ...nativeErrors([401, 503]),
  },
});

models.openapi(listModelsRoute, (c) => c.json({ data: MODELS.map(view) }, 200));

const ModelIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({
      param: { name: "id", in: "path" },
      example: "google/veo-3.1-t2v",
      description:
        "A model id as `GET /v1/models` lists it. Ids contain `/`: send them as they are " +
        "(`/v1/models/google/veo-3.1-t2v`) or with each `/` percent-encoded (`google%2Fveo-3.1-t2v`)",
    }),
});

export const getModelRoute = createRoute({
  tags: ["Models"],
  method: "get",
  path: "/models/{id}",
  summary: "One model and the JSON Schema of its inputs",
  security: BEARER,
  middleware: [requireKey],
  request: { params: ModelIdParamsSchema },
  responses: {
    200: json(ModelSchema, "The model"),
    ...nativeErrors([401, 404, 503], { 404: "No model with this id: `GET /v1/models` lists them" }),
  },
});

// A model id spans path segments, which `{id}` (one segment) cannot match:
// the route is served under Hono's `:id{.+}` pattern and documented as the
// `{id}` above, so the document and the validation are the same declaration.
const { middleware: _middleware, ...getModelDefinition } = getModelRoute;
models.openAPIRegistry.registerPath(getModelDefinition);
models.openapi({ ...getModelRoute, path: "/models/{id{.+}}", hide: true }, (c) => {
  const { id } = c.req.valid("param");
  const model = findModel(id);
  if (model === undefined) {
    const shown = id.length > 100 ? `${id.slice(0, 100)}…` : id;
    throw new ApiError(404, "not_found", `No model ${JSON.stringify(shown)}: GET /v1/models lists them`);
  }
  return c.json(view(model), 200);
});
