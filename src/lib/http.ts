/**
 * Request plumbing shared by every route: bearer-key auth, JSON bodies
 * validated by zod with errors that name the field, and the 64 KB limit.
 */
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { z } from "zod";
import { configurationProblem } from "../config.ts";
import { authenticate } from "./client-keys.ts";
import { ApiError, notFound } from "./errors.ts";
import { describeIssues } from "./zod-issues.ts";
import { GENERATION_ID_PATTERN } from "./ids.ts";

export const MAX_BODY_BYTES = 64 * 1024;

export type AppEnv = { Bindings: Env; Variables: { clientId: string } };
export type AppContext = Context<AppEnv>;

/** 503 `not_configured`, naming the setting, while the relay's configuration cannot be used. */
export function assertConfigured(env: Env): void {
  const problem = configurationProblem(env);
  if (problem !== null) throw new ApiError(503, "not_configured", problem);
}

/** The client that the request's bearer key belongs to (503 first while the relay is misconfigured). */
export async function requireClient(c: AppContext): Promise<string> {
  assertConfigured(c.env);
  const configured = c.env.RELAY_API_KEYS;
  if (configured === undefined || configured.trim() === "") {
    throw new ApiError(
      503,
      "not_configured",
      "RELAY_API_KEYS is not set: the relay refuses every API call until it is",
    );
  }
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  const presented = match?.[1];
  if (presented === undefined) {
    throw new ApiError(401, "unauthorized", "Missing Authorization: Bearer <key> header", undefined, {
      "WWW-Authenticate": "Bearer",
    });
  }
  const clientId = await authenticate(presented, configured);
  if (clientId === null) {
    throw new ApiError(401, "unauthorized", "The API key is not valid", undefined, { "WWW-Authenticate": "Bearer" });
  }
  return clientId;
}

/** The client whose bearer key the request carries, set as `c.var.clientId` (401 or 503 otherwise). */
export const requireKey = createMiddleware<AppEnv>(async (c, next) => {
  c.set("clientId", await requireClient(c));
  await next();
});

/**
 * Guards a JSON body before the route's schema validates it: 415 for another
 * content type, 400 `invalid_json` for malformed JSON, `__proto__` refused by
 * name, 400 for anything but an object. Runs after `limitBody`, so what it
 * reads is capped at 64 KB. The parsed text stays cached on the request, where
 * the route's validator reads it again.
 */
export const jsonBody = createMiddleware<AppEnv>(async (c, next) => {
  requireJsonContentType(c);
  parseJsonObject(await c.req.text());
  await next();
});

/** 415 unless the request says its body is JSON (`application/json`, `application/*+json`). */
export function requireJsonContentType(c: AppContext): void {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type.trim())) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `Content-Type must be application/json, got ${type === "" ? "none" : `"${type.slice(0, 100)}"`}`,
    );
  }
}

/** The body text as a JSON object: 400 `invalid_json` for malformed JSON, `__proto__` refused by name, 400 for a non-object or one nested deeper than MAX_JSON_DEPTH. */
export function parseJsonObject(text: string): Record<string, unknown> {
  assertJsonDepth(text);
  let raw: unknown;
  try {
    // "__proto__" would be silently dropped (or worse) by object copies
    // downstream, so it is refused by name rather than lost.
    raw = JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__") throw new ForbiddenKey();
      return value;
    });
  } catch (error) {
    if (error instanceof ForbiddenKey) {
      throw new ApiError(400, "invalid_request", '"__proto__" is not allowed as a field name', [
        { field: "__proto__", rule: "forbidden_key", message: '"__proto__" is not allowed as a field name' },
      ]);
    }
    throw new ApiError(
      400,
      "invalid_json",
      `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      [{ field: "(body)", rule: "json", message: "must be valid JSON" }],
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ApiError(400, "invalid_request", "The body must be a JSON object", [
      { field: "(body)", rule: "object", message: "must be a JSON object" },
    ]);
  }
  return raw as Record<string, unknown>;
}

class ForbiddenKey extends Error {}

/**
 * How deep a JSON body may nest, the body itself being level 1 (docs/api.md#errors).
 * Far more than any request needs, and little enough that every recursive
 * step after the parse (the reviver, zod's schemas, canonical JSON, copies)
 * stays far from the stack's limit.
 */
export const MAX_JSON_DEPTH = 64;

/** 400 `invalid_request` naming the outermost field when the text nests deeper than MAX_JSON_DEPTH. */
function assertJsonDepth(text: string): void {
  const field = tooDeepField(text, MAX_JSON_DEPTH);
  if (field === null) return;
  const shown = field.length > 100 ? `${field.slice(0, 100)}…` : field;
  const message =
    field === BODY_FIELD
      ? `The body nests deeper than ${MAX_JSON_DEPTH} levels`
      : `${shown} nests deeper than ${MAX_JSON_DEPTH} levels (the body counts as one)`;
  throw new ApiError(400, "invalid_request", message, [{ field, rule: "max_depth", message }]);
}

const BODY_FIELD = "(body)";
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * The outermost field under which a JSON text nests deeper than `maxDepth`
 * (the key of the top-level object that holds the too-deep part, or "(body)"
 * when there is none), or null when it nests no deeper. One iterative pass
 * over the raw text, so it runs before any recursive parse; strings are
 * skipped whole (their brackets do not count). Not a validator: whatever is
 * not JSON is left to JSON.parse.
 */
export function tooDeepField(text: string, maxDepth: number): string | null {
  let depth = 0;
  let topIsObject = false;
  /** The last string seen directly in the top-level object, raw: the key once a colon follows it. */
  let lastTopString: string | null = null;
  let field: string | null = null;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char === QUOTE) {
      const end = closingQuote(text, index + 1);
      if (end === -1) return null;
      if (depth === 1 && topIsObject) lastTopString = text.slice(index, end + 1);
      index = end;
    } else if (char === 0x7b || char === 0x5b) {
      // { or [
      depth++;
      if (depth === 1) topIsObject = char === 0x7b;
      if (depth > maxDepth) return depth > 1 && topIsObject && field !== null ? field : BODY_FIELD;
    } else if (char === 0x7d || char === 0x5d) {
      // } or ]: closing more than was opened is malformed, for JSON.parse to refuse.
      depth--;
      if (depth < 0) return null;
    } else if (char === COLON && depth === 1 && topIsObject && lastTopString !== null) {
      field = decodeKey(lastTopString);
      lastTopString = null;
    }
  }
  return null;
}

/** Index of the quote that ends the string whose text starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  for (let quote = text.indexOf('"', from); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (quote - backslashes - 1 >= from && text.charCodeAt(quote - backslashes - 1) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return -1;
}

/** A JSON string literal's value (escapes resolved); its raw inside if it is not a valid literal. */
function decodeKey(literal: string): string {
  try {
    const value: unknown = JSON.parse(literal);
    if (typeof value === "string") return value;
  } catch {
    // Malformed: JSON.parse of the whole body refuses it when the depth does not.
  }
  return literal.slice(1, -1);
}

/**
 * The one validation hook (OpenAPIHono's `defaultHook`): a request part that
 * fails its route's schema becomes 400 `invalid_request` naming each field
 * and rule, in the native or (under /v2/, by `app.onError`) the upstream shape.
 * A value that only fails the generation id pattern names no generation, so
 * it is 404, as an unknown id is: a client cannot tell malformed from unknown.
 */
export const validationHook = (
  result: { success: true; data: unknown } | { success: false; error: z.ZodError; data?: unknown },
): undefined => {
  if (result.success) return undefined;
  const { issues } = result.error;
  if (issues.length > 0 && issues.every(isGenerationIdMismatch)) throw notFound();
  const details = describeIssues(issues, result.data);
  const first = details[0];
  throw new ApiError(400, "invalid_request", first ? first.message : "The request is not valid", details);
};

const isGenerationIdMismatch = (issue: z.core.$ZodIssue): boolean =>
  issue.code === "invalid_format" && issue.format === "regex" && issue.pattern === String(GENERATION_ID_PATTERN);

/** JSON with sorted keys, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** 413 over 64 KB, counted as the body streams in (a chunked body has no Content-Length). */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, "payload_too_large", `The body must be at most ${MAX_BODY_BYTES} bytes`);
  },
});
