/**
 * The relay-wide keys, derived once per isolate (contract §2, §3 "Identifiers").
 *
 * - `idKey` signs generation ids. It comes only from the relay key kept by
 *   KeyringObject, never from a secret an operator sets, so rotating client
 *   keys, WEBHOOK_SECRET or URL_SIGNING_SECRET never makes an existing
 *   generation unreachable by its id.
 * - `linkKey` signs video links. It comes from URL_SIGNING_SECRET when that is
 *   set, so an operator can rotate it (every link signed before then stops
 *   working; a fresh one is handed out with the next read of the generation),
 *   else from the relay key.
 *
 * The keys are cached as values, not as a shared promise: a promise started by
 * one request and awaited by another would tie the second to the first's I/O.
 * Two requests that race on a cold isolate both read the same relay key, so
 * they derive the same keys.
 */
import { urlSigningSecret } from "../config.ts";
import { DOMAIN, deriveHmacKey } from "../lib/derive.ts";
import { KEYRING_OBJECT_NAME } from "./object.ts";

export interface Keyring {
  idKey: CryptoKey;
  linkKey: CryptoKey;
}

let fromRelayKey: Keyring | null = null;
/** Link keys by URL_SIGNING_SECRET: a deploy that changes the secret starts new isolates anyway. */
const linkKeysBySecret = new Map<string, CryptoKey>();

export async function keyring(env: Env): Promise<Keyring> {
  const relay = fromRelayKey ?? (fromRelayKey = await deriveFromRelayKey(env));
  const secret = urlSigningSecret(env);
  if (secret === null) return relay;
  let linkKey = linkKeysBySecret.get(secret);
  if (linkKey === undefined) {
    linkKey = await deriveHmacKey(new TextEncoder().encode(secret), DOMAIN.videoLink);
    linkKeysBySecret.set(secret, linkKey);
  }
  return { idKey: relay.idKey, linkKey };
}

async function deriveFromRelayKey(env: Env): Promise<Keyring> {
  const relayKey = await env.KEYRING.getByName(KEYRING_OBJECT_NAME).relayKey();
  const [idKey, linkKey] = await Promise.all([
    deriveHmacKey(relayKey, DOMAIN.generationId),
    deriveHmacKey(relayKey, DOMAIN.videoLink),
  ]);
  return { idKey, linkKey };
}
