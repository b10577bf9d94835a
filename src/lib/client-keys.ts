/**
 * Client keys from RELAY_API_KEYS: comma-separated `key` or `client:key`.
 * A generation belongs to the client name, so a named client's key can be
 * rotated without losing its generations; a bare key's client is a hash of it.
 * Keys are compared as SHA-256 digests in constant time, and every
 * configured key is compared, so timing says nothing about which one matched.
 */
import { hex } from "./encoding.ts";

interface ClientKey {
  clientId: string;
  digest: ArrayBuffer;
}

const parsed = new Map<string, Promise<ClientKey[]>>();

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

function parseClientKeys(raw: string): Promise<ClientKey[]> {
  let keys = parsed.get(raw);
  if (!keys) {
    keys = Promise.all(
      raw
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== "")
        .map(async (entry): Promise<ClientKey> => {
          const colon = entry.indexOf(":");
          const key = colon > 0 ? entry.slice(colon + 1) : entry;
          const digest = await sha256(key);
          const clientId = colon > 0 ? entry.slice(0, colon) : `key-${hex(digest).slice(0, 16)}`;
          return { clientId, digest };
        }),
    );
    parsed.set(raw, keys);
  }
  return keys;
}

/** The client the presented key belongs to, or null. */
export async function authenticate(presented: string, raw: string): Promise<string | null> {
  const keys = await parseClientKeys(raw);
  const digest = await sha256(presented);
  let match: string | null = null;
  for (const key of keys) {
    if (crypto.subtle.timingSafeEqual(digest, key.digest) && match === null) match = key.clientId;
  }
  return match;
}
