/**
 * HMAC-signed, expiring video links: `?expires=<unix seconds>&signature=<base64url>`,
 * the signature being HMAC-SHA256(linkKey, "wan-relay/video-link/v1\n{id}.{expires}").
 * The label keeps a link's MAC input apart from an id's and a webhook's.
 *
 * The link key comes from the keyring (src/keyring/keyring.ts): derived from
 * URL_SIGNING_SECRET when set, else from the relay key. Because it does not
 * depend on the generation's own state, a link can be checked in the Worker
 * before any Durable Object is named.
 */
import { DOMAIN, macInput } from "./derive.ts";
import { base64url, fromBase64url } from "./encoding.ts";

/** A base64url HMAC-SHA256 is 43 characters. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Unix seconds, at most 12 digits (year 33658): keeps `Number()` exact. */
const EXPIRES_PATTERN = /^\d{1,12}$/;

/**
 * The `signature` for a link to `generationId` valid until `expires` (unix seconds).
 * A string key is the transitional form (the raw secret as the HMAC key), kept
 * until the Durable Object signs with the keyring's link key.
 */
export async function signVideoLink(
  linkKey: CryptoKey | string,
  generationId: string,
  expires: number,
): Promise<string> {
  const key = await asKey(linkKey);
  return base64url(await crypto.subtle.sign("HMAC", key, linkMacInput(generationId, String(expires))));
}

/** Checks a signed query; `nowSeconds` may be fractional. */
export async function verifyVideoLink(
  linkKey: CryptoKey | string,
  generationId: string,
  expires: string,
  signature: string,
  nowSeconds: number,
): Promise<"ok" | "expired" | "invalid"> {
  if (!EXPIRES_PATTERN.test(expires) || !SIGNATURE_PATTERN.test(signature)) return "invalid";
  const key = await asKey(linkKey);
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify("HMAC", key, fromBase64url(signature), linkMacInput(generationId, expires));
  if (!valid) return "invalid";
  return Number(expires) < nowSeconds ? "expired" : "ok";
}

function linkMacInput(generationId: string, expires: string): Uint8Array {
  return macInput(DOMAIN.videoLink, `${generationId}.${expires}`);
}

async function asKey(linkKey: CryptoKey | string): Promise<CryptoKey> {
  if (typeof linkKey !== "string") return linkKey;
  return crypto.subtle.importKey("raw", new TextEncoder().encode(linkKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}
