/**
 * The OpenAPI document served by the real relay (`wrangler dev`): valid for
 * swagger-parser, covering every route with the responses it can give, and
 * documenting the id pattern the relay actually enforces.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERATION_ID_PATTERN } from "../../src/lib/ids.ts";
import { TEST_RELAY_API_KEYS } from "../support/constants.ts";
import { startRelay, type RelayProcess } from "../support/relay-process.ts";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { pattern?: string };
}
interface Operation {
  parameters?: Parameter[];
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema?: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  webhooks?: Record<string, Record<string, Operation>>;
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

/** The compatible API's paths (docs/compatibility.md): the universal one, and the vendors' as one templated path. */
const VENDOR_PATH = "/v2/generate/video/{vendor}/generation";
const COMPAT_PATHS = ["/v2/video/generations", VENDOR_PATH];
const VENDORS = ["alibaba", "kling", "google", "minimax", "runway", "bytedance", "pixverse"];
/** The webhook events, each a POST of `{type, timestamp, data}` with the three Standard Webhooks headers. */
const GENERATION_EVENTS = ["generation.started", "generation.completed", "generation.failed", "generation.canceled"];

// [method, path, statuses it must declare, component of the success body (null: not JSON)]
const ROUTES: [method: string, path: string, statuses: number[], success: string | null][] = [
  ["post", "/v1/generations", [200, 202, 400, 401, 402, 409, 413, 415, 422, 429, 503], "Generation"],
  ["get", "/v1/generations", [200, 400, 401, 503], "GenerationList"],
  ["get", "/v1/generations/{id}", [200, 401, 404, 503], "Generation"],
  // Two 200 shapes (a cancel's Generation, a purge's Purged): checked on their own below.
  ["delete", "/v1/generations/{id}", [200, 400, 401, 404, 409, 503], null],
  ["get", "/v1/generations/{id}/events", [200, 400, 401, 404, 503], "EventList"],
  ["post", "/v1/generations/{id}/webhook/redeliver", [202, 401, 404, 409, 429, 503], "Generation"],
  ["get", "/v1/generations/{id}/stream", [200, 401, 404, 429, 503], null],
  ["get", "/v1/generations/{id}/video", [200, 206, 304, 401, 403, 404, 416, 503], null],
  ["get", "/v1/webhooks/secret", [200, 401, 503], "WebhookSecret"],
  ["post", "/v1/webhooks/test", [200, 400, 401, 413, 415, 503], "WebhookTestResult"],
  ["get", "/v1/usage", [200, 400, 401, 503], "Usage"],
  ["get", "/v1/models", [200, 401, 503], "ModelList"],
  ["get", "/v1/models/{id}", [200, 401, 404, 503], "Model"],
  ...COMPAT_PATHS.flatMap((path): [string, string, number[], string][] => [
    [
      "post",
      path,
      // An undocumented vendor is no route: 404.
      [201, 400, 401, 403, ...(path === VENDOR_PATH ? [404] : []), 409, 413, 415, 422, 429, 503],
      "CompatCreated",
    ],
    ["get", path, [200, 400, 401, 404, 503], "CompatGeneration"],
  ]),
  ["get", "/healthz", [200], "Health"],
  ["get", "/", [200], null],
  ["get", "/docs", [200], null],
  ["get", "/openapi.json", [200], null],
];
const UNAUTHENTICATED = ["/healthz", "/", "/docs", "/openapi.json"];

const ref = (name: string) => `#/components/schemas/${name}`;
const jsonSchemaRef = (operation: Operation, status: number) =>
  operation.responses[String(status)]?.content?.["application/json"]?.schema?.$ref;

describe("GET /openapi.json", () => {
  let relay: RelayProcess;
  let doc: Document;

  beforeAll(async () => {
    relay = await startRelay({ vars: { RELAY_API_KEYS: TEST_RELAY_API_KEYS } });
    const response = await fetch(`${relay.url}/openapi.json`);
    expect(response.status).toBe(200);
    doc = (await response.json()) as Document;
  });
  afterAll(async () => {
    await relay?.stop();
  });

  it("validates with swagger-parser as OpenAPI 3.1", async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    // A copy: swagger-parser dereferences in place.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toMatchObject({
      openapi: doc.openapi,
    });
  });

  it("would fail validation with a dangling $ref, as the hand-built document had", async () => {
    const broken = structuredClone(doc) as unknown as { components: { schemas: Record<string, unknown> } };
    broken.components.schemas.Broken = { type: "object", properties: { x: { $ref: "#/$defs/__schema0" } } };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow(
      /Missing \$ref pointer "#\/\$defs\/__schema0"/,
    );
  });

  it("has exactly the relay's routes", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });

  it.each(ROUTES)("declares the responses of %s %s", (method, path, statuses, success) => {
    const operation = doc.paths[path]?.[method];
    if (operation === undefined) throw new Error(`${method} ${path} is not documented`);
    expect(Object.keys(operation.responses).map(Number).sort()).toEqual([...statuses].sort());
    const errorSchema = path.startsWith("/v2/") ? ref("CompatError") : ref("Error");
    for (const status of statuses.filter((s) => s >= 400 && s !== 416)) {
      expect(jsonSchemaRef(operation, status), `${status}`).toBe(errorSchema);
    }
    const first = statuses[0];
    if (success !== null && first !== undefined) expect(jsonSchemaRef(operation, first)).toBe(ref(success));
  });

  it("documents the compatible API's request and answers in the upstream's shapes", () => {
    const schemas = doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    expect(Object.keys(schemas.CompatCreated?.properties ?? {}).sort()).toEqual([
      "generation_id",
      "id",
      "meta",
      "status",
    ]);
    expect(Object.keys(schemas.CompatGeneration?.properties ?? {}).sort()).toEqual([
      "error",
      "generation_id",
      "id",
      "meta",
      "model",
      "status",
      "video",
    ]);
    expect(Object.keys(schemas.CompatError?.properties ?? {}).sort()).toEqual(["message", "statusCode"]);
    for (const path of COMPAT_PATHS) {
      const create = doc.paths[path]?.post;
      expect(create?.requestBody?.content["application/json"]?.schema?.$ref).toBe(ref("CompatCreate"));
      const query = doc.paths[path]?.get?.parameters;
      expect(query?.find((p) => p.name === "generation_id")).toMatchObject({ in: "query", required: true });
    }
  });

  it("documents the vendor paths once, as a templated path whose vendor is an enum", () => {
    expect(Object.keys(doc.paths).filter((path) => path.startsWith("/v2/generate/"))).toEqual([VENDOR_PATH]);
    for (const method of ["post", "get"]) {
      const vendor = doc.paths[VENDOR_PATH]?.[method]?.parameters?.find((p) => p.name === "vendor");
      expect(vendor, method).toMatchObject({ in: "path", required: true, schema: { enum: VENDORS } });
    }
  });

  it("documents every webhook event (OpenAPI 3.1 webhooks): its body and the three signature headers", () => {
    const webhooks = doc.webhooks ?? {};
    // The four events of a generation, and the one test event POST /v1/webhooks/test sends.
    expect(Object.keys(webhooks).sort()).toEqual([...GENERATION_EVENTS, "webhook.test"].sort());
    const schemas = doc.components.schemas as Record<
      string,
      { properties?: Record<string, { $ref?: string; const?: string; enum?: string[] }>; required?: string[] }
    >;
    for (const [type, item] of Object.entries(webhooks)) {
      const operation = item.post;
      if (operation === undefined) throw new Error(`${type} is not a POST`);
      const headers = (operation.parameters ?? []).filter((p) => p.in === "header");
      expect(headers.map((p) => p.name).sort(), type).toEqual(["webhook-id", "webhook-signature", "webhook-timestamp"]);
      for (const header of headers) expect(header.required, `${type} ${header.name}`).toBe(true);
      const bodyRef = operation.requestBody?.content["application/json"]?.schema?.$ref ?? "";
      const body = schemas[bodyRef.replace("#/components/schemas/", "")];
      expect(Object.keys(body?.properties ?? {}).sort(), type).toEqual(["data", "timestamp", "type"]);
      expect([...(body?.required ?? [])].sort(), type).toEqual(["data", "timestamp", "type"]);
      const typeSchema = body?.properties?.type;
      expect(typeSchema?.const ?? typeSchema?.enum?.[0], type).toBe(type);
      if (GENERATION_EVENTS.includes(type)) expect(body?.properties?.data?.$ref, type).toBe(ref("Generation"));
      expect(Object.keys(operation.responses), type).toContain("2XX");
    }
  });

  it("documents /healthz's upstream in its three modes", () => {
    const health = (doc.components.schemas as Record<string, { properties?: Record<string, { enum?: string[] }> }>)
      .Health;
    expect(health?.properties?.upstream?.enum).toEqual(["aimlapi", "simulator", "not_configured"]);
  });

  it("documents DELETE's purge parameter and both of its 200 shapes", () => {
    const operation = doc.paths["/v1/generations/{id}"]?.delete;
    expect(operation?.parameters?.find((p) => p.name === "purge")).toMatchObject({
      in: "query",
      schema: { enum: ["true", "false"] },
    });
    const schema = operation?.responses["200"]?.content?.["application/json"]?.schema as {
      oneOf?: { $ref?: string }[];
      anyOf?: { $ref?: string }[];
    };
    expect((schema.oneOf ?? schema.anyOf ?? []).map((s) => s.$ref).sort()).toEqual([ref("Generation"), ref("Purged")]);
    const schemas = doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    expect(Object.keys(schemas.Purged?.properties ?? {}).sort()).toEqual(["id", "purged"]);
  });

  it("documents usage: since as a query parameter, every status in by_status", () => {
    const since = doc.paths["/v1/usage"]?.get?.parameters?.find((p) => p.name === "since");
    expect(since).toMatchObject({ in: "query" });
    expect(since?.required ?? false).toBe(false);
    const usage = (doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>).Usage;
    expect(Object.keys(usage?.properties ?? {}).sort()).toEqual([
      "by_model",
      "by_status",
      "credits",
      "since",
      "videos",
    ]);
    const byStatus = usage?.properties?.by_status as { properties?: Record<string, unknown>; required?: string[] };
    expect(Object.keys(byStatus.properties ?? {}).sort()).toEqual([
      "canceled",
      "completed",
      "failed",
      "generating",
      "queued",
      "storing",
    ]);
    expect([...(byStatus.required ?? [])].sort()).toEqual(Object.keys(byStatus.properties ?? {}).sort());
  });

  it("documents a create body as the relay's fields plus the model's, pointing at GET /v1/models/{id}", () => {
    const schemas = doc.components.schemas as Record<
      string,
      { properties?: Record<string, unknown>; additionalProperties?: unknown; description?: string }
    >;
    expect(Object.keys(schemas.CreateGeneration?.properties ?? {}).sort()).toEqual([
      "metadata",
      "model",
      "webhook_events",
      "webhook_url",
    ]);
    expect(Object.keys(schemas.CompatCreate?.properties ?? {}).sort()).toEqual(["model", "webhook_url"]);
    for (const name of ["CreateGeneration", "CompatCreate"]) {
      expect(schemas[name]?.additionalProperties, name).toBe(true);
      expect(schemas[name]?.description, name).toContain("GET /v1/models/{model}");
    }
  });

  it("documents the id pattern the relay enforces", () => {
    const idParameters = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/v1/generations/{id}"))
      .flatMap(([, item]) => Object.values(item).map((operation) => operation.parameters ?? []))
      .map((parameters) => parameters.find((p) => p.name === "id" && p.in === "path"));
    expect(idParameters.length).toBe(6);
    for (const parameter of idParameters) {
      expect(parameter).toMatchObject({ required: true, schema: { pattern: GENERATION_ID_PATTERN.source } });
    }
    // A model id is no generation id: any id of the catalogue, `/` included.
    const modelId = doc.paths["/v1/models/{id}"]?.get?.parameters?.find((p) => p.name === "id");
    expect(modelId).toMatchObject({ in: "path", required: true });
    expect(modelId?.schema?.pattern).toBeUndefined();
    const compatQuery = doc.paths["/v2/video/generations"]?.get?.parameters?.find((p) => p.name === "generation_id");
    expect(compatQuery?.schema?.pattern).toBe(GENERATION_ID_PATTERN.source);
  });

  it("asks for the bearer key everywhere but the pages, and takes the signed link for the video", () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const [method, path] of ROUTES) {
      const security = doc.paths[path]?.[method]?.security;
      if (UNAUTHENTICATED.includes(path)) expect(security, path).toEqual([]);
      else expect(security, `${method} ${path}`).toContainEqual({ bearer: [] });
    }
    expect(doc.paths["/v1/generations/{id}/video"]?.get?.security).toEqual([
      { bearer: [] },
      { videoSignature: [], videoExpires: [] },
    ]);
  });
});
