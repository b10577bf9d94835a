/**
 * Generation ids that the relay can recognise as its own without touching
 * storage (contract §3 "Identifiers"):
 *
 *     gen_ <10 time> <16 random> <16 mac>      (Crockford base32, lower case)
 *
 * - time: milliseconds since the epoch, so sorting ids sorts them by creation
 *   time, which the list cursor relies on;
 * - random: 80 random bits;
 * - mac: the first 80 bits of HMAC-SHA256(idKey, "wan-relay/generation-id/v1\n"
 *   + "gen_" + time + random). Forging an id means guessing 80 bits, so a
 *   request for an id the relay did not issue is refused before any Durable
 *   Object is named.
 *
 * The id key comes from the keyring (src/keyring/keyring.ts) and never rotates.
 */
import { base64url } from "./encoding.ts";
import { DOMAIN, macInput } from "./derive.ts";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** 16 base32 characters carry exactly 80 bits = 10 bytes of MAC. */
const MAC_CHARS = 16;
const MAC_BYTES = 10;
const PREFIX = "gen_";

/** The real pattern: `gen_` and 42 lower-case Crockford base32 characters. */
export const GENERATION_ID_PATTERN = /^gen_[0-9a-hjkmnp-tv-z]{42}$/;

/** A new id for a generation created at `now`, carrying its own MAC. */
export async function newGenerationId(idKey: CryptoKey, now = Date.now()): Promise<string> {
  const body = `${PREFIX}${timePart(now)}${randomChars(RANDOM_CHARS)}`;
  return `${body}${await macChars(idKey, body)}`;
}

/**
 * Whether `id` is one the relay issued with `idKey`. False for anything
 * malformed; the MAC is compared in constant time.
 */
export async function verifyGenerationId(idKey: CryptoKey, id: string): Promise<boolean> {
  if (!GENERATION_ID_PATTERN.test(id)) return false;
  const body = id.slice(0, -MAC_CHARS);
  return constantTimeEqual(await macChars(idKey, body), id.slice(-MAC_CHARS));
}

/** Compares two equal-length ASCII strings without an early exit (the pattern fixed the length). */
function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Whether `value` has the shape of a generation id (says nothing about who issued it). */
export const isGenerationId = (value: string): boolean => GENERATION_ID_PATTERN.test(value);

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function timePart(now: number): string {
  let time = "";
  let rest = Math.floor(now);
  for (let i = 0; i < TIME_CHARS; i++) {
    time = (ALPHABET[rest % 32] ?? "0") + time;
    rest = Math.floor(rest / 32);
  }
  return time;
}

function randomChars(count: number): string {
  // 32 divides 256, so `byte % 32` is uniform.
  return [...crypto.getRandomValues(new Uint8Array(count))].map((byte) => ALPHABET[byte % 32] ?? "0").join("");
}

async function macChars(idKey: CryptoKey, body: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", idKey, macInput(DOMAIN.generationId, body)));
  return base32(mac.subarray(0, MAC_BYTES));
}

/** Crockford base32 of a whole number of 5-byte groups (40 bits = 8 characters each). */
function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31] ?? "0";
    }
  }
  return out;
}
