/**
 * What the readers of example scripts (python-literals.ts, docs-examples.ts)
 * know about a value without running anything: JSON-like values, a few
 * markers for the JavaScript objects that matter (a `URL`, a
 * `JSON.stringify` text, a request in flight), and `UNKNOWN` for the rest.
 *
 * Erasable TypeScript only, so `node scripts/sync-models.ts` runs it directly.
 */

/** A value the reader cannot know without running the script. */
export const UNKNOWN = Symbol("unknown");

/** A `new URL(…)` (or `URLSearchParams`), with the names of the query parameters set on it. */
export class UrlValue {
  readonly href: string;
  readonly params: string[];
  constructor(href: string, params: string[] = []) {
    this.href = href;
    this.params = params;
  }
}

/** What `JSON.stringify(value)` returns: the text that will be sent, known by its value. */
export class JsonText {
  readonly value: StaticValue;
  constructor(value: StaticValue) {
    this.value = value;
  }
}

/** A request started with `https.request(…)`; its body arrives later with `req.write(…)`. */
export class RequestHandle {
  readonly call: HttpCall;
  constructor(call: HttpCall) {
    this.call = call;
  }
}

export type StaticValue =
  | string
  | number
  | boolean
  | null
  | StaticValue[]
  | { [key: string]: StaticValue }
  | typeof UNKNOWN
  | UrlValue
  | JsonText
  | RequestHandle;

/** One HTTP call a script makes. */
export interface HttpCall {
  /** The function it is made in (`(module)` at the top level). */
  scope: string;
  method: "POST" | "GET" | null;
  /** The URL without its query, or null when it cannot be known. */
  url: string | null;
  /** Names of the query parameters (from the URL and from `params`). */
  query: string[];
  /** The JSON body, when the call sends one. */
  body?: StaticValue;
}

/** A placeholder for an unknown part of a built string (a template or f-string field). */
export const HOLE = "\u0000";

/** A URL value (a string, or a `URL`) and any `params` object, as the call's URL and query names. */
export function urlOf(value: StaticValue, params?: StaticValue): { url: string | null; query: string[] } {
  const query: string[] = [];
  let href: string | null = null;
  if (typeof value === "string") href = value;
  else if (value instanceof UrlValue) {
    href = value.href;
    query.push(...value.params);
  }
  if (isPlainObject(params)) query.push(...Object.keys(params));
  else if (params instanceof UrlValue) query.push(...params.params);
  if (href === null) return { url: null, query };
  const mark = href.indexOf("?");
  if (mark >= 0) {
    for (const pair of href.slice(mark + 1).split("&")) {
      const name = pair.split("=")[0] ?? "";
      if (name !== "" && !name.includes(HOLE)) query.push(name);
    }
    href = href.slice(0, mark);
  }
  return { url: href, query: [...new Set(query)] };
}

export function isPlainObject(value: unknown): value is { [key: string]: StaticValue } {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The value as plain JSON, or null when any part of it is unknown (or a marker). */
export function toJson(value: StaticValue): unknown {
  if (value === UNKNOWN) return undefined;
  if (typeof value === "string") return value.includes(HOLE) ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  if (Array.isArray(value)) {
    const items = value.map(toJson);
    return items.some((item) => item === undefined) ? undefined : items;
  }
  if (isPlainObject(value)) {
    const object: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const json = toJson(item);
      if (json === undefined) return undefined;
      object[key] = json;
    }
    return object;
  }
  return undefined;
}
