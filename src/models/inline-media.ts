/**
 * `data:` URIs in media fields (docs/api.md#models), on the Worker side.
 *
 * A create body may carry a media field's file inline, as a base64 `data:`
 * URI of up to `MAX_INLINE_MEDIA_BYTES` decoded. Such a value never enters a
 * Durable Object's state or an RPC argument (a state row is capped at 2 MB):
 *
 *   1. the Worker reads it (`prepareInlineMedia`): media type, decoded size,
 *      sha256 of the decoded bytes, and the input with the value replaced by
 *      a short reference, `{type: "data_uri", media_type, bytes, sha256}`,
 *      which is what `input` echoes;
 *   2. once the generation has an id, the Worker stores the exact text of the
 *      URI in R2 under `inputs/<generation id>/<field path>`
 *      (`storeInlineMedia`), before the generation's object starts;
 *   3. the object's state keeps `{path, key, mediaType, bytes, sha256}`; at
 *      submission it reads the text back (`restoreInlineMedia`) and sends the
 *      upstream the byte-identical URI;
 *   4. `deleteStoredInputs` removes a generation's stored inputs (retention
 *      and purge call it).
 *
 * The stored object is the URI's text, not its decoded bytes: re-encoding
 * the bytes would change a URI whose base64 is not canonical, or whose media
 * type carries parameters, and the upstream must receive what the caller sent.
 */
import { hex } from "../lib/encoding.ts";
import { collectMedia, mapMedia } from "./validate.ts";
import type { CatalogueModel } from "./types.ts";

/** The echo of a `data:` URI in `input`. */
interface InlineMediaReference {
  type: "data_uri";
  media_type: string;
  bytes: number;
  sha256: string;
}

/** What a generation's state remembers of one stored `data:` URI. */
export interface StoredInput {
  /** Where the value sits in the input: `["image_url"]`, `["reference_image_urls", 1]`. */
  path: (string | number)[];
  /** R2 key of the URI's text. */
  key: string;
  mediaType: string;
  /** Decoded size. */
  bytes: number;
  /** Hex SHA-256 of the decoded bytes. */
  sha256: string;
}

/** One `data:` URI of a create body, read but not yet stored. */
export interface InlineMedia {
  path: (string | number)[];
  field: string;
  /** The URI exactly as sent. */
  text: string;
  reference: InlineMediaReference;
}

const INPUTS_PREFIX = "inputs/";

/** Every stored input of a generation lives under this R2 prefix. */
export function inputsPrefix(generationId: string): string {
  return `${INPUTS_PREFIX}${generationId}/`;
}

/** `inputs/<id>/image_url`, `inputs/<id>/reference_image_urls/1`, `inputs/<id>/elements/0/frontal_image_url`. */
export function inputKey(generationId: string, path: readonly (string | number)[]): string {
  return `${inputsPrefix(generationId)}${path.map((part) => encodeURIComponent(String(part))).join("/")}`;
}

/**
 * Reads the `data:` URIs of a validated input: each one's reference (media
 * type, decoded size, sha256 of the decoded bytes), and the input with each
 * replaced by its reference (what `input` echoes, and what the idempotency
 * hash covers).
 */
export async function prepareInlineMedia(
  model: CatalogueModel,
  input: Readonly<Record<string, unknown>>,
): Promise<{ echo: Record<string, unknown>; media: InlineMedia[] }> {
  const media: InlineMedia[] = [];
  for (const value of collectMedia(model, input)) {
    if (value.data === null) continue;
    const digest = await crypto.subtle.digest("SHA-256", decodeBase64(value.data.base64));
    media.push({
      path: value.path,
      field: value.field,
      text: value.value,
      reference: { type: "data_uri", media_type: value.data.mediaType, bytes: value.data.bytes, sha256: hex(digest) },
    });
  }
  if (media.length === 0) return { echo: { ...input }, media };
  const byField = new Map(media.map((item) => [item.field, item.reference]));
  const echo = mapMedia(model, input, (value) => byField.get(value.field) ?? value.value);
  return { echo, media };
}

/** Stores each URI's text under the generation's prefix; returns what the state keeps. */
export async function storeInlineMedia(
  bucket: R2Bucket,
  generationId: string,
  media: readonly InlineMedia[],
): Promise<StoredInput[]> {
  const stored: StoredInput[] = [];
  for (const item of media) {
    const key = inputKey(generationId, item.path);
    const { media_type: mediaType, bytes, sha256 } = item.reference;
    await bucket.put(key, item.text, {
      httpMetadata: { contentType: "text/plain; charset=utf-8" },
      customMetadata: { media_type: mediaType, bytes: String(bytes), sha256 },
    });
    stored.push({ path: item.path, key, mediaType, bytes, sha256 });
  }
  return stored;
}

/**
 * The input with each stored reference replaced by the URI's text read back
 * from R2, or `missing` naming the first input that is no longer there.
 */
export async function restoreInlineMedia(
  bucket: R2Bucket,
  input: Readonly<Record<string, unknown>>,
  stored: readonly StoredInput[],
): Promise<{ kind: "ok"; input: Record<string, unknown> } | { kind: "missing"; key: string }> {
  let restored: Record<string, unknown> = { ...input };
  for (const item of stored) {
    const object = await bucket.get(item.key);
    if (object === null) return { kind: "missing", key: item.key };
    restored = setAt(restored, item.path, await object.text());
  }
  return { kind: "ok", input: restored };
}

/** Deletes every stored input of a generation (none: nothing happens); returns how many objects were deleted. */
export async function deleteStoredInputs(bucket: R2Bucket, generationId: string): Promise<number> {
  const prefix = inputsPrefix(generationId);
  let deleted = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await bucket.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
    const keys = page.objects.map((object) => object.key);
    if (keys.length > 0) {
      await bucket.delete(keys);
      deleted += keys.length;
    }
    if (!page.truncated) return deleted;
    cursor = page.cursor;
  }
}

/** A copy of `root` with the value at `path` replaced (copies along the path only). */
function setAt(
  root: Record<string, unknown>,
  path: readonly (string | number)[],
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return root;
  const copy: Record<string, unknown> = { ...root };
  copy[String(head)] = rest.length === 0 ? value : setIn(root[String(head)], rest, value);
  return copy;
}

function setIn(node: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(node) && typeof head === "number") {
    const copy: unknown[] = [...(node as unknown[])];
    copy[head] = rest.length === 0 ? value : setIn(copy[head], rest, value);
    return copy;
  }
  if (typeof node === "object" && node !== null) return setAt(node as Record<string, unknown>, path, value);
  return node;
}

/**
 * Decodes base64 already checked by `parseDataUri` (no whitespace, padded).
 * Not `fromBase64` of lib/encoding: its canonical-form pattern is a regular
 * expression with a repeated group, too costly on megabytes of text.
 */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
