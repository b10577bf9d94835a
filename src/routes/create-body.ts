/**
 * Reading a create body (docs/api.md#errors, #models), for both APIs' create routes:
 * at most 64 KB, except that the `data:` URIs of media fields come on top,
 * each at most `MAX_INLINE_MEDIA_BYTES` decoded.
 *
 * Two passes:
 *
 *  - while the body streams in, a byte scanner counts the JSON outside
 *    strings that start with `data:`: past 64 KB of it, or past the whole
 *    body's cap (64 KB plus room for two data: URIs of the largest size), the
 *    read stops with 413, so an oversized body is never read whole;
 *  - once parsed, the exact rule: the `data:` URIs that sit in the model's
 *    media fields (per the catalogue) are each at most MAX_INLINE_MEDIA_BYTES
 *    decoded (else 413 naming the field), and the body without them
 *    serializes to at most 64 KB (else 413). A `data:` string anywhere else
 *    counts like any other text.
 *
 * The parsed body is left on the request for the route's validator, so a
 * body of megabytes is parsed once.
 */
import { createMiddleware } from "hono/factory";
import { readConfig } from "../config.ts";
import { ApiError } from "../lib/errors.ts";
import { MAX_BODY_BYTES, parseJsonObject, requireJsonContentType, type AppEnv } from "../lib/http.ts";
import { collectMedia, mapMedia, resolveModel } from "../models/validate.ts";

/** Length of the base64 text of `bytes` bytes. */
const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;

/** Room for a data: URI's prefix (`data:<type>;<params>;base64,`) and its quotes. */
const URI_OVERHEAD = 256;

/** The most a create body may be, all told: 64 KB, plus two data: URIs of the largest size. */
export function createBodyCap(maxInlineMediaBytes: number): number {
  return MAX_BODY_BYTES + 2 * (base64Length(maxInlineMediaBytes) + URI_OVERHEAD);
}

const tooLarge = (maxInlineMediaBytes: number): ApiError =>
  new ApiError(
    413,
    "payload_too_large",
    `The body must be at most ${MAX_BODY_BYTES} bytes, not counting the data: URIs of media fields ` +
      `(each at most ${maxInlineMediaBytes} bytes decoded, MAX_INLINE_MEDIA_BYTES)`,
  );

/** Reads, scans and parses a create body; 413, 415 and 400 as the module header says. */
export const createBody = createMiddleware<AppEnv>(async (c, next) => {
  const max = readConfig(c.env).maxInlineMediaBytes;
  const cap = createBodyCap(max);
  const declared = c.req.header("Content-Length");
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > cap) throw tooLarge(max);
  // One expression, so the text (megabytes, with data: URIs) is not kept once parsed.
  const body = await readScanned(c.req.raw, new BodyScanner(MAX_BODY_BYTES, cap), max).then((text) => {
    requireJsonContentType(c);
    return parseJsonObject(text);
  });
  checkInlineMedia(body, max);
  // The route's validator reads the body with c.req.json(), which answers from this cache.
  c.req.bodyCache.json = Promise.resolve(body);
  await next();
});

async function readScanned(request: Request, scanner: BodyScanner, max: number): Promise<string> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!scanner.feed(value)) {
      await reader.cancel();
      throw tooLarge(max);
    }
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join("");
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DATA = [0x64, 0x61, 0x74, 0x61, 0x3a]; // "data:"

/**
 * Counts a JSON text's bytes as they stream in, leaving out the inside of
 * strings that start with `data:` (written without escapes, as base64 is).
 * Not a JSON parser: anything that is not JSON is refused by the parser later.
 */
export class BodyScanner {
  /** Bytes outside data: strings. */
  counted = 0;
  total = 0;
  private inString = false;
  private escaped = false;
  /** How many bytes of "data:" the current string has matched so far; -1 once it cannot. */
  private matched = -1;

  constructor(
    private readonly maxCounted: number,
    private readonly maxTotal: number,
  ) {}

  /** False as soon as a limit is passed. */
  feed(chunk: Uint8Array): boolean {
    this.total += chunk.byteLength;
    let index = 0;
    while (index < chunk.byteLength) {
      if (this.inString && this.matched === DATA.length && !this.escaped) {
        // Inside a data: string: jump to the next quote or backslash.
        const next = nextSpecial(chunk, index);
        if (next === -1) break;
        index = next;
      }
      const byte = chunk[index] ?? 0;
      index++;
      const exempt = this.inString && this.matched === DATA.length;
      if (!exempt) this.counted++;
      if (!this.inString) {
        if (byte === QUOTE) {
          this.inString = true;
          this.escaped = false;
          this.matched = 0;
        }
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        this.matched = this.matched === DATA.length ? DATA.length : -1;
        continue;
      }
      if (byte === BACKSLASH) {
        this.escaped = true;
        continue;
      }
      if (byte === QUOTE) {
        this.inString = false;
        continue;
      }
      if (this.matched >= 0 && this.matched < DATA.length) {
        this.matched = (byte | 0x20) === DATA[this.matched] ? this.matched + 1 : -1;
      }
    }
    return this.counted <= this.maxCounted && this.total <= this.maxTotal;
  }
}

function nextSpecial(chunk: Uint8Array, from: number): number {
  const quote = chunk.indexOf(QUOTE, from);
  const backslash = chunk.indexOf(BACKSLASH, from);
  if (quote === -1) return backslash;
  if (backslash === -1) return quote;
  return Math.min(quote, backslash);
}

/**
 * The exact rule, once parsed: each data: URI of a media field at most
 * `max` bytes decoded, and the rest of the body at most 64 KB serialized.
 * A body whose model is not known is left to the validator (400 naming
 * `model`): with no model, no field is a media field.
 */
function checkInlineMedia(body: Record<string, unknown>, max: number): void {
  const lookup = resolveModel(body["model"]);
  if (!lookup.ok) return;
  const inline = collectMedia(lookup.model, body).filter((media) => media.data !== null);
  const over = inline.filter((media) => (media.data?.bytes ?? 0) > max);
  if (over.length > 0) {
    const details = over.map((media) => ({
      field: media.field,
      rule: "too_large",
      message: `${media.field} must be at most ${max} bytes once decoded (MAX_INLINE_MEDIA_BYTES), got ${media.data?.bytes ?? 0}`,
    }));
    throw new ApiError(413, "payload_too_large", details[0]?.message ?? "A data: URI is too large", details);
  }
  const rest = inline.length === 0 ? body : mapMedia(lookup.model, body, (media) => (media.data ? "" : media.value));
  const json = JSON.stringify(rest);
  // UTF-8 never takes fewer bytes than UTF-16 code units, so the length alone settles most bodies.
  if (json.length > MAX_BODY_BYTES || new TextEncoder().encode(json).byteLength > MAX_BODY_BYTES) {
    throw tooLarge(max);
  }
}
