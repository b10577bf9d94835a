/**
 * Key derivation and domain labels (src/lib/derive.ts).
 */
import { describe, expect, it } from "vitest";
import { DOMAIN, deriveBytes, deriveHmacKey, macInput } from "../../src/lib/derive.ts";
import { hex } from "../../src/lib/encoding.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

async function mac(key: CryptoKey, text: string): Promise<string> {
  return hex(await crypto.subtle.sign("HMAC", key, bytes(text)));
}

describe("deriveBytes", () => {
  it("is HKDF-SHA256 with an empty salt (RFC 5869 test case 3)", async () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    expect(hex(await deriveBytes(ikm, "", undefined, 42))).toBe(
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    );
  });

  it("gives different bytes for different labels, and for different contexts under one label", async () => {
    const ikm = crypto.getRandomValues(new Uint8Array(32));
    const derived = await Promise.all([
      deriveBytes(ikm, DOMAIN.generationId),
      deriveBytes(ikm, DOMAIN.videoLink),
      deriveBytes(ikm, DOMAIN.clientWebhookSecret, "alice"),
      deriveBytes(ikm, DOMAIN.clientWebhookSecret, "bob"),
      deriveBytes(ikm, DOMAIN.clientWebhookSecret),
    ]);
    expect(new Set(derived.map(hex)).size).toBe(derived.length);
  });

  it("is deterministic", async () => {
    const ikm = bytes("input key material");
    expect(hex(await deriveBytes(ikm, DOMAIN.videoLink))).toBe(hex(await deriveBytes(ikm, DOMAIN.videoLink)));
  });
});

describe("domain labels", () => {
  it("are distinct, none a prefix of another, and free of the separators NUL and line break", () => {
    const labels = Object.values(DOMAIN);
    for (const label of labels) {
      expect(label).not.toMatch(/[\0\n]/);
      for (const other of labels) if (other !== label) expect(other.startsWith(label)).toBe(false);
    }
  });

  it("start every MAC input, followed by a line break", () => {
    expect(new TextDecoder().decode(macInput(DOMAIN.videoLink, "gen_x.1"))).toBe("wan-relay/video-link/v1\ngen_x.1");
  });
});

describe("deriveHmacKey", () => {
  it("makes a non-extractable HMAC-SHA256 key whose MACs depend on the label", async () => {
    const ikm = crypto.getRandomValues(new Uint8Array(32));
    const idKey = await deriveHmacKey(ikm, DOMAIN.generationId);
    const linkKey = await deriveHmacKey(ikm, DOMAIN.videoLink);
    expect(idKey.extractable).toBe(false);
    expect(idKey.algorithm).toMatchObject({ name: "HMAC" });
    expect(await mac(idKey, "x")).not.toBe(await mac(linkKey, "x"));
    expect(await mac(idKey, "x")).toBe(await mac(await deriveHmacKey(ikm, DOMAIN.generationId), "x"));
  });
});
