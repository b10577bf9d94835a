/**
 * Generation ids: `gen_` + 10 characters of creation time + 16 random, in
 * Crockford base32. Sorting ids sorts by creation time, which the list cursor
 * relies on.
 */
import { base64url } from "./encoding.ts";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
export const GENERATION_ID_PATTERN = /^gen_[0-9abcdefghjkmnpqrstvwxyz]{26}$/;

export function newGenerationId(now = Date.now()): string {
  let time = "";
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = (ALPHABET[rest % 32] ?? "0") + time;
    rest = Math.floor(rest / 32);
  }
  const random = [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => ALPHABET[byte % 32] ?? "0").join("");
  return `gen_${time}${random}`;
}

export const isGenerationId = (value: string): boolean => GENERATION_ID_PATTERN.test(value);

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}
