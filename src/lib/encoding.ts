/**
 * The one place for hex and base64 (standard and URL-safe) encodings.
 *
 * `btoa`/`atob` exist in Workers and in Node, which keeps this module free of
 * `node:buffer` so the same code runs in both. The decoders are strict:
 * `atob` alone is "forgiving" (it skips whitespace and accepts missing
 * padding), and a decoder that accepts several spellings of the same bytes
 * lets a signature or a secret be written in ways its verifier never sees.
 */

type Bytes = ArrayBuffer | Uint8Array;

/** Canonical standard base64: `+` and `/`, padded to a multiple of 4. */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Unpadded URL-safe base64 (RFC 4648 §5): a length of 1 mod 4 is never valid. */
const BASE64URL_PATTERN = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$/;

function view(bytes: Bytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

/** Lower-case hex, two characters per byte. */
export function hex(bytes: Bytes): string {
  let out = "";
  for (const byte of view(bytes)) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** Standard base64 with padding. */
export function base64(bytes: Bytes): string {
  let binary = "";
  for (const byte of view(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** URL-safe base64 without padding (fits a query string as is). */
export function base64url(bytes: Bytes): string {
  return base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes canonical standard base64 (padded); throws a TypeError otherwise. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64_PATTERN.test(text)) throw new TypeError("not standard padded base64");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Decodes unpadded URL-safe base64; throws a TypeError otherwise. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL_PATTERN.test(text)) throw new TypeError("not unpadded base64url");
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(standard + "=".repeat((4 - (standard.length % 4)) % 4));
}
