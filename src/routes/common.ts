/**
 * What the route declarations share: security requirements, the error
 * responses in either shape, the id parameter, and the one place a
 * generation's Durable Object is reached from an id.
 *
 * Adding a route is one `createRoute({...})` in its surface's file and one
 * `app.openapi(route, handler)` after it; the document at /openapi.json
 * follows by itself.
 */
import { z } from "@hono/zod-openapi";
import { CompatErrorSchema, ErrorBodySchema, GenerationIdSchema, MAX_IDEMPOTENCY_KEY_LENGTH } from "../api/schemas.ts";
import { notFound } from "../lib/errors.ts";
import { verifyGenerationId } from "../lib/ids.ts";
import { keyring } from "../keyring/keyring.ts";

/** Security scheme names, registered on the root app (src/app.ts). */
export const BEARER_SCHEME = "bearer";
export const SIGNATURE_SCHEME = "videoSignature";
export const EXPIRES_SCHEME = "videoExpires";

/** OpenAPI security requirements: any one entry suffices; all schemes within an entry are needed. */
type Security = Record<string, string[]>[];
export const BEARER: Security = [{ [BEARER_SCHEME]: [] }];
/** The video: a bearer key, or the signed query (`expires` and `signature` together). */
export const BEARER_OR_SIGNED_LINK: Security = [
  { [BEARER_SCHEME]: [] },
  { [SIGNATURE_SCHEME]: [], [EXPIRES_SCHEME]: [] },
];
export const NO_AUTH: Security = [];

const ERROR_DESCRIPTIONS = {
  400: "The request is not valid; `details` names each field and the rule it broke",
  401: "Missing or wrong API key",
  402: "budget_exceeded: this key's upstream credits this month reached its CREDIT_BUDGETS entry; `details` gives the budget, the amount used and when it resets",
  403: "The video link's signature is not valid, or the link has expired",
  404: "No generation with this id is visible to this key (malformed ids included)",
  409: "The generation's state does not allow this",
  413: "The body is over 64 KB (a create body: not counting the data: URIs of media fields, each at most MAX_INLINE_MEDIA_BYTES decoded)",
  415: "Content-Type is not application/json",
  422: "This Idempotency-Key was used with a different body",
  429: "Too many active generations for this key; Retry-After says when to try again",
  503: "The relay is not configured for this (the message names the setting)",
} as const;
type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

const ERROR_HEADERS: Partial<Record<ErrorStatus, Record<string, { description: string; schema: object }>>> = {
  401: { "WWW-Authenticate": { description: "Bearer", schema: { type: "string" } } },
  429: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
};

function errorResponses<const S extends ErrorStatus, Schema extends z.ZodType>(
  schema: Schema,
  statuses: readonly S[],
  descriptions: Partial<Record<S, string>>,
) {
  const responses = {} as Record<S, { description: string; content: { "application/json": { schema: Schema } } }>;
  for (const status of statuses) {
    responses[status] = {
      description: descriptions[status] ?? ERROR_DESCRIPTIONS[status],
      ...(ERROR_HEADERS[status] ? { headers: ERROR_HEADERS[status] } : {}),
      content: { "application/json": { schema } },
    };
  }
  return responses;
}

/** The native error responses `{error: {code, message, details?}}` for these statuses. */
export const nativeErrors = <const S extends ErrorStatus>(
  statuses: readonly S[],
  descriptions: Partial<Record<S, string>> = {},
) => errorResponses(ErrorBodySchema, statuses, descriptions);

/** The upstream-compatible error responses `{message, statusCode}` for these statuses. */
export const compatErrors = <const S extends ErrorStatus>(
  statuses: readonly S[],
  descriptions: Partial<Record<S, string>> = {},
) => errorResponses(CompatErrorSchema, statuses, descriptions);

export const json = <Schema extends z.ZodType>(schema: Schema, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** `{id}` in a path. Its pattern is documented; a mismatch is answered 404 (see validationHook). */
export const GenerationIdParamsSchema = z.object({
  id: GenerationIdSchema.openapi({ param: { name: "id", in: "path" } }),
});

export const IdempotencyHeadersSchema = z.object({
  "Idempotency-Key": z
    .string()
    .min(1, { error: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` })
    .max(MAX_IDEMPOTENCY_KEY_LENGTH, { error: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` })
    .optional()
    .openapi({
      description: "Same key and same body within 24 h: the same generation is answered, nothing new is created",
    }),
});

/**
 * The Durable Object of a generation id. The one place an id reaches
 * storage: an id carries its own MAC (src/lib/ids.ts), checked here before
 * `getByName`, so an id the relay did not issue is answered 404 without
 * naming, let alone creating, a Durable Object.
 */
export async function generationStub(env: Env, id: string) {
  if (!(await verifyGenerationId((await keyring(env)).idKey, id))) throw notFound();
  return env.GENERATION.getByName(id);
}
