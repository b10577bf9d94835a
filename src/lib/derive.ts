/**
 * Key derivation with domain separation. Every key the relay derives, and
 * every MAC input it builds, starts from one of the labels below; they are
 * distinct and none is a prefix of another, so a MAC made for one purpose
 * (an id, a video link, a client's webhook secret) is never valid for another.
 *
 * Derivation is HKDF-SHA256 (RFC 5869: HMAC keyed by the input key, with the
 * label as `info`), from WebCrypto, so it runs the same in Workers and Node.
 */

export const DOMAIN = {
  /** The key that signs generation ids, and the prefix of an id's MAC input. */
  generationId: "wan-relay/generation-id/v1",
  /** The key that signs video links, and the prefix of a link's MAC input. */
  videoLink: "wan-relay/video-link/v1",
  /** A client's webhook signing secret, derived from WEBHOOK_SECRET and the client's name. */
  clientWebhookSecret: "wan-relay/client-webhook-secret/v1",
} as const;

const encoder = new TextEncoder();

/**
 * `bytes` bytes derived from `inputKey` for `label`, and for `context` when
 * given. The label never contains a NUL, so `label NUL context` is unambiguous.
 */
export async function deriveBytes(
  inputKey: BufferSource,
  label: string,
  context?: string,
  bytes = 32,
): Promise<Uint8Array<ArrayBuffer>> {
  const info = context === undefined ? label : `${label}\0${context}`;
  const base = await crypto.subtle.importKey("raw", inputKey, "HKDF", false, ["deriveBits"]);
  const derived = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) },
    base,
    bytes * 8,
  );
  return new Uint8Array(derived);
}

/** A non-extractable HMAC-SHA256 key derived from `inputKey` for `label`. */
export async function deriveHmacKey(inputKey: BufferSource, label: string): Promise<CryptoKey> {
  const raw = await deriveBytes(inputKey, label);
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** The bytes a MAC for `label` is computed over: the label, a line break, then the fields. */
export function macInput(label: string, fields: string): Uint8Array<ArrayBuffer> {
  // A copy typed as backed by an ArrayBuffer, as crypto.subtle wants under Node's typings too.
  return new Uint8Array(encoder.encode(`${label}\n${fields}`));
}
