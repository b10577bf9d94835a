/**
 * Each client's own webhook signing secret (contract §5): derived from the
 * master WEBHOOK_SECRET and the client's name, so it is stable across
 * restarts and deploys without being stored, and one client's secret says
 * nothing about another's. A webhook is signed with the secret of the client
 * that created the generation, so no client can obtain a signature that
 * another client's receiver accepts.
 */
import { DOMAIN, deriveBytes } from "../lib/derive.ts";
import { base64 } from "../lib/encoding.ts";
import { decodeWebhookSecret, WEBHOOK_SECRET_PREFIX } from "./sign.ts";

/** A client secret has 32 bytes, inside the 24-64 that Standard Webhooks recommends. */
const CLIENT_WEBHOOK_SECRET_BYTES = 32;

/**
 * `whsec_<base64 of 32 bytes>` for `clientId`. Throws, with a message that
 * names the rule and never the secret, when `masterSecret` is not a valid
 * `whsec_` secret.
 */
export async function clientWebhookSecret(masterSecret: string, clientId: string): Promise<string> {
  const master = decodeWebhookSecret(masterSecret);
  const bytes = await deriveBytes(master, DOMAIN.clientWebhookSecret, clientId, CLIENT_WEBHOOK_SECRET_BYTES);
  return `${WEBHOOK_SECRET_PREFIX}${base64(bytes)}`;
}
