// Standard Webhooks signatures (https://www.standardwebhooks.com/), docs/api.md#webhooks.
//
// Only WebCrypto is used, so the same code runs in Workers and on Node 22.
// The rules about what counts as a valid secret follow the reference
// JavaScript library (`standardwebhooks`): a secret we accept must also be
// one every receiver's verifier accepts, or deliveries would never verify.

import { base64, fromBase64 } from "../lib/encoding.ts";

export const WEBHOOK_SECRET_PREFIX = "whsec_";

// The specification recommends keys of 24 to 64 bytes; shorter keys are
// refused because an HMAC is only as strong as its key. Longer keys are
// accepted: HMAC hashes them down and verifiers handle them the same way.
const WEBHOOK_SECRET_MIN_BYTES = 24;
const GENERATED_SECRET_BYTES = 32;

const encoder = new TextEncoder();

/**
 * Imports a `whsec_<base64>` secret (the prefix is optional) as an HMAC-SHA256
 * signing key. Throws an Error naming the problem, never the secret itself,
 * so the message is safe to log.
 */
export async function importWebhookSecret(secret: string): Promise<CryptoKey> {
  const keyBytes = decodeWebhookSecret(secret);
  return crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * Returns the `webhook-signature` header value for one delivery attempt:
 * `v1,<base64 HMAC-SHA256 of "{msgId}.{timestampSeconds}.{body}">`.
 * `body` must be the exact string sent, since receivers sign the raw bytes.
 */
export async function signWebhook(
  key: CryptoKey,
  msgId: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  // A fractional or exponent-formatted number would be written into the
  // signed content differently from the `webhook-timestamp` header a receiver
  // parses with parseInt, so the signature could never verify.
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError("webhook timestamp must be a non-negative whole number of seconds");
  }
  if (msgId === "") {
    throw new Error("webhook message id must not be empty");
  }
  const signed = encoder.encode(`${msgId}.${timestampSeconds}.${body}`);
  const mac = await crypto.subtle.sign("HMAC", key, signed);
  return `v1,${base64(mac)}`;
}

/** A fresh secret in the `whsec_<base64>` form receivers expect. */
export function generateWebhookSecret(): string {
  const keyBytes = crypto.getRandomValues(new Uint8Array(GENERATED_SECRET_BYTES));
  return `${WEBHOOK_SECRET_PREFIX}${base64(keyBytes)}`;
}

/**
 * The key bytes of a `whsec_<base64>` secret (the prefix is optional). Throws
 * an Error naming the rule broken, never the secret.
 */
export function decodeWebhookSecret(secret: string): Uint8Array<ArrayBuffer> {
  // Surrounding whitespace is a copy-paste or `echo | wrangler secret put`
  // accident, never part of a base64 secret, so it is dropped rather than
  // turned into a confusing "not base64" error.
  const trimmed = secret.trim();
  const encoded = trimmed.startsWith(WEBHOOK_SECRET_PREFIX) ? trimmed.slice(WEBHOOK_SECRET_PREFIX.length) : trimmed;
  if (encoded === "") {
    throw new Error(`webhook secret is empty; expected "${WEBHOOK_SECRET_PREFIX}<base64>"`);
  }
  let keyBytes: Uint8Array<ArrayBuffer>;
  try {
    // Standard alphabet with padding, as the reference library's decoder
    // requires (it refuses URL-safe characters and missing padding).
    keyBytes = fromBase64(encoded);
  } catch {
    throw new Error(
      `webhook secret is not valid base64; expected "${WEBHOOK_SECRET_PREFIX}<base64>" using the standard alphabet with padding`,
    );
  }
  if (keyBytes.length < WEBHOOK_SECRET_MIN_BYTES) {
    throw new Error(
      `webhook secret is too short: ${keyBytes.length} bytes, at least ${WEBHOOK_SECRET_MIN_BYTES} required`,
    );
  }
  return keyBytes;
}
