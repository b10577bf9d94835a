/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate
 * requests (z.toJSONSchema), so documentation and validation cannot drift.
 */
import { z } from "zod";
import {
  CompatCreateSchema,
  CreateGenerationSchema,
  ErrorBodySchema,
  EventSchema,
  GenerationSchema,
  ListQuerySchema,
} from "../generation/schema.ts";

const schema = (s: z.ZodType, io: "input" | "output" = "output") =>
  z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const error = (description: string) => ({ description, content: json("Error") });
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^gen_[0-9a-z]{26}$" } };

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const listQuery = schema(ListQuerySchema, "input") as { properties?: Record<string, unknown> };
  return {
    openapi: "3.1.0",
    info: {
      title: "wan-relay",
      version: "0.1.0",
      description: "Wan 2.5 text-to-video as a callback: submit once, get a signed webhook when the video is in R2.",
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        CreateGeneration: schema(CreateGenerationSchema, "input"),
        CompatCreate: schema(CompatCreateSchema, "input"),
        Generation: schema(GenerationSchema),
        Event: schema(EventSchema),
        Error: schema(ErrorBodySchema),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/v1/generations": {
        post: {
          summary: "Create a generation",
          parameters: [
            { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 255 } },
          ],
          requestBody: { required: true, content: json("CreateGeneration") },
          responses: {
            "202": { description: "Accepted", content: json("Generation") },
            "200": { description: "Idempotent replay", content: json("Generation") },
            "400": error("Invalid body (the message names the field)"),
            "401": error("Missing or wrong key"),
            "413": error("Body over 64 KB"),
            "415": error("Not JSON"),
            "422": error("Idempotency-Key reused with another body"),
            "429": error("Too many active generations"),
          },
        },
        get: {
          summary: "List this client's generations, newest first",
          parameters: Object.entries(listQuery.properties ?? {}).map(([name, s]) => ({
            name,
            in: "query",
            required: false,
            schema: s,
          })),
          responses: {
            "200": {
              description: "A page",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      data: { type: "array", items: ref("Generation") },
                      next_cursor: { type: ["string", "null"] },
                    },
                  },
                },
              },
            },
          },
        },
      },
      "/v1/generations/{id}": {
        get: {
          summary: "Read a generation (never calls the upstream)",
          parameters: [idParam],
          responses: { "200": { description: "OK", content: json("Generation") }, "404": error("Unknown id") },
        },
        delete: {
          summary: "Cancel",
          parameters: [idParam],
          responses: {
            "200": { description: "Canceled", content: json("Generation") },
            "409": error("Already terminal"),
          },
        },
      },
      "/v1/generations/{id}/video": {
        get: {
          summary: "The stored MP4 (Range, ETag)",
          security: [{ bearer: [] }, {}],
          parameters: [
            idParam,
            { name: "expires", in: "query", required: false, schema: { type: "integer" } },
            { name: "signature", in: "query", required: false, schema: { type: "string" } },
          ],
          responses: {
            "200": { description: "The video", content: { "video/mp4": {} } },
            "206": { description: "A range of the video", content: { "video/mp4": {} } },
            "304": { description: "Not modified" },
            "416": { description: "Range not satisfiable" },
          },
        },
      },
      "/v1/generations/{id}/events": {
        get: {
          summary: "The timeline, oldest first",
          parameters: [idParam],
          responses: {
            "200": {
              description: "OK",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { data: { type: "array", items: ref("Event") } } },
                },
              },
            },
          },
        },
      },
      "/v1/generations/{id}/webhook/redeliver": {
        post: {
          summary: "Send the latest terminal event again",
          parameters: [idParam],
          responses: { "202": { description: "Queued", content: json("Generation") } },
        },
      },
      "/v1/generations/{id}/stream": {
        get: {
          summary: "Server-sent events, one per status change",
          parameters: [idParam],
          responses: { "200": { description: "text/event-stream", content: { "text/event-stream": {} } } },
        },
      },
      "/v2/generate/video/alibaba/generation": {
        post: {
          summary: "Upstream-compatible create",
          requestBody: { content: json("CompatCreate") },
          responses: { "201": { description: "{id, status}" } },
        },
        get: {
          summary: "Upstream-compatible status",
          parameters: [{ name: "generation_id", in: "query", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "{id, status, video, error}" } },
        },
      },
      "/v2/video/generations": {
        post: {
          summary: "Upstream-compatible create (current path)",
          requestBody: { content: json("CompatCreate") },
          responses: { "201": { description: "{id, status}" } },
        },
        get: {
          summary: "Upstream-compatible status (current path)",
          parameters: [{ name: "generation_id", in: "query", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "{id, status, video, error}" } },
        },
      },
      "/healthz": { get: { summary: "Liveness", security: [], responses: { "200": { description: "{ok: true}" } } } },
    },
  };
}
