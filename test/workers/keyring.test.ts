/**
 * The keyring (src/keyring/keyring.ts, src/keyring/object.ts): one random
 * relay key kept by a Durable Object, an id key that no rotatable secret
 * touches, and a link key from URL_SIGNING_SECRET when it is set.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DOMAIN, deriveHmacKey } from "../../src/lib/derive.ts";
import { hex } from "../../src/lib/encoding.ts";
import { newGenerationId, verifyGenerationId } from "../../src/lib/ids.ts";
import { KEYRING_OBJECT_NAME } from "../../src/keyring/object.ts";
import { keyring } from "../../src/keyring/keyring.ts";
import { signVideoLink, verifyVideoLink } from "../../src/lib/link-signing.ts";

const SECRET_A = "a".repeat(32);
const SECRET_B = "b".repeat(32);

async function mac(key: CryptoKey, text = "probe"): Promise<string> {
  return hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
}

describe("KeyringObject", () => {
  it("creates 32 random bytes on the first call and returns the same bytes ever after", async () => {
    const stub = env.KEYRING.getByName(`test-${crypto.randomUUID()}`);
    const first = new Uint8Array(await stub.relayKey());
    expect(first).toHaveLength(32);
    expect(first.some((byte) => byte !== 0)).toBe(true);
    for (let i = 0; i < 5; i++) expect(new Uint8Array(await stub.relayKey())).toEqual(first);
    // Kept in the object's storage, one row.
    const rows = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ key: ArrayBuffer }>(`SELECT key FROM relay_key`).toArray(),
    );
    expect(rows.map((row) => hex(row.key))).toEqual([hex(first)]);
  });

  it("gives each instance its own random key", async () => {
    const one = await env.KEYRING.getByName(`test-${crypto.randomUUID()}`).relayKey();
    const two = await env.KEYRING.getByName(`test-${crypto.randomUUID()}`).relayKey();
    expect(hex(one)).not.toBe(hex(two));
  });
});

describe("keyring", () => {
  it("derives both keys from the relay key that the KEYRING object keeps", async () => {
    const relayKey = await env.KEYRING.getByName(KEYRING_OBJECT_NAME).relayKey();
    const keys = await keyring({ ...env, URL_SIGNING_SECRET: "" });
    expect(await mac(keys.idKey)).toBe(await mac(await deriveHmacKey(relayKey, DOMAIN.generationId)));
    expect(await mac(keys.linkKey)).toBe(await mac(await deriveHmacKey(relayKey, DOMAIN.videoLink)));
  });

  it("gives the same keys on every call", async () => {
    const first = await keyring(env);
    const second = await keyring(env);
    expect(await mac(second.idKey)).toBe(await mac(first.idKey));
    expect(await mac(second.linkKey)).toBe(await mac(first.linkKey));
  });

  it("keeps the id key and the link key apart", async () => {
    const keys = await keyring({ ...env, URL_SIGNING_SECRET: "" });
    expect(await mac(keys.idKey)).not.toBe(await mac(keys.linkKey));
    expect(keys.idKey.extractable).toBe(false);
    expect(keys.linkKey.extractable).toBe(false);
  });

  it("derives the link key from URL_SIGNING_SECRET alone when it is set", async () => {
    const withA = await keyring({ ...env, URL_SIGNING_SECRET: SECRET_A });
    const withB = await keyring({ ...env, URL_SIGNING_SECRET: SECRET_B });
    const without = await keyring({ ...env, URL_SIGNING_SECRET: "" });
    const fromA = await deriveHmacKey(new TextEncoder().encode(SECRET_A), DOMAIN.videoLink);
    expect(await mac(withA.linkKey)).toBe(await mac(fromA));
    expect(await mac(withA.linkKey)).not.toBe(await mac(withB.linkKey));
    expect(await mac(withA.linkKey)).not.toBe(await mac(without.linkKey));
  });

  it("links signed before URL_SIGNING_SECRET is rotated stop verifying after it", async () => {
    const id = await newGenerationId((await keyring(env)).idKey);
    const expires = Math.floor(Date.now() / 1000) + 600;
    const before = await keyring({ ...env, URL_SIGNING_SECRET: SECRET_A });
    const after = await keyring({ ...env, URL_SIGNING_SECRET: SECRET_B });
    const signature = await signVideoLink(before.linkKey, id, expires);
    const now = Date.now() / 1000;
    expect(await verifyVideoLink(before.linkKey, id, String(expires), signature, now)).toBe("ok");
    expect(await verifyVideoLink(after.linkKey, id, String(expires), signature, now)).toBe("invalid");
  });

  it("keeps every id verifiable whatever secret is rotated", async () => {
    const issued = await newGenerationId((await keyring({ ...env, URL_SIGNING_SECRET: SECRET_A })).idKey);
    const rotations: Partial<Env>[] = [
      { URL_SIGNING_SECRET: SECRET_B },
      { URL_SIGNING_SECRET: "" },
      { WEBHOOK_SECRET: `whsec_${btoa("x".repeat(32))}` },
      { WEBHOOK_SECRET: undefined },
      { RELAY_API_KEYS: "carol:carol-key-0123456789" },
      { AIMLAPI_KEY: "another-upstream-key" },
    ];
    for (const rotation of rotations) {
      const { idKey } = await keyring({ ...env, ...rotation });
      expect(await verifyGenerationId(idKey, issued), JSON.stringify(Object.keys(rotation))).toBe(true);
    }
  });
});
