/**
 * HMAC-signed, expiring video links: `?expires=<unix seconds>&signature=<base64url>`
 * over `"{generation id}.{expires}"`. The key is URL_SIGNING_SECRET when set,
 * otherwise a random key kept with each generation (docs/architecture.md).
 */
import { base64url, fromBase64url } from "./encoding.ts";

async function importKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

export async function signVideoLink(secret: string, generationId: string, expires: number): Promise<string> {
  const key = await importKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${generationId}.${expires}`));
  return base64url(mac);
}

export async function verifyVideoLink(
  secret: string,
  generationId: string,
  expires: string,
  signature: string,
  nowSeconds: number,
): Promise<"ok" | "expired" | "invalid"> {
  if (!/^\d{1,12}$/.test(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return "invalid";
  const key = await importKey(secret);
  const mac = fromBase64url(signature);
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(`${generationId}.${expires}`));
  if (!valid) return "invalid";
  return Number(expires) < nowSeconds ? "expired" : "ok";
}
