/**
 * Verifying the relay's webhooks (Standard Webhooks): `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature`, a
 * space-separated list of `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
 * keyed with the client's `whsec_…` secret (`GET /v1/webhooks/secret`).
 * WebCrypto's `verify` compares the MAC in constant time.
 */
import { CLIENT_ERROR_CODES, WanRelayError } from "./errors.ts";
import { subtleCrypto } from "./runtime.ts";
import type { WebhookEvent } from "./types.ts";

/** How far a webhook's timestamp may be from the receiver's clock, either way: a replay window. */
export const WEBHOOK_TOLERANCE_IN_SECONDS = 5 * 60;
const SECRET_PREFIX = "whsec_";
const SIGNATURE_VERSION = "v1";

/** A `Headers` object (fetch, Workers) or a plain record (Node's `req.headers`, Express), any case. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** Default WEBHOOK_TOLERANCE_IN_SECONDS. */
  toleranceSeconds?: number;
  /** The receiver's clock (tests). */
  now?: Date;
}

const invalid = (message: string): WanRelayError =>
  new WanRelayError(message, { code: CLIENT_ERROR_CODES.invalidWebhook });

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== name) continue;
    return typeof value === "string" ? value : value?.join(", ");
  }
  return undefined;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

function asBytes(body: string | Uint8Array | ArrayBuffer): Uint8Array<ArrayBuffer> {
  // A copy either way: WebCrypto takes bytes over a plain ArrayBuffer only.
  return new Uint8Array(typeof body === "string" ? new TextEncoder().encode(body) : body);
}

/**
 * The event a webhook delivery carries, once its signature and timestamp are
 * verified; throws a WanRelayError with code `invalid_webhook` otherwise.
 * `body` must be the raw body as received (not re-serialized JSON).
 */
export async function verifyWebhook(
  body: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw invalid("missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds))
    throw invalid("webhook-timestamp is not unix seconds");
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_IN_SECONDS;
  if (Math.abs(nowSeconds - seconds) > tolerance) {
    throw invalid(`webhook-timestamp is more than ${tolerance}s from now`);
  }

  const keyBytes = base64Bytes(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  if (keyBytes === null || keyBytes.length === 0) throw invalid("the secret is not whsec_ followed by base64");
  const subtle = await subtleCrypto();
  const key = await subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const payload = asBytes(body);
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + payload.length);
  signed.set(prefix);
  signed.set(payload, prefix.length);

  let verified = false;
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const signature = base64Bytes(entry.slice(comma + 1));
    // Every candidate is checked, so the time taken says nothing about which one matched.
    if (signature !== null && (await subtle.verify("HMAC", key, signature, signed))) verified = true;
  }
  if (!verified) throw invalid("no webhook-signature matches the body");

  try {
    return JSON.parse(new TextDecoder().decode(payload)) as WebhookEvent;
  } catch {
    throw invalid("the webhook body is not JSON");
  }
}
