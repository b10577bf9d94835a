/**
 * Signed video links (src/lib/link-signing.ts): what verifies, what expires,
 * and that nothing but the exact labelled input under the link key does.
 */
import { describe, expect, it } from "vitest";
import { DOMAIN, deriveHmacKey } from "../../src/lib/derive.ts";
import { base64url } from "../../src/lib/encoding.ts";
import { signVideoLink, verifyVideoLink } from "../../src/lib/link-signing.ts";

const ID = "gen_01k0000000abcdefghjkmnpqrs0123456789abcdef";
const EXPIRES = 1_900_000_000;
const BEFORE = EXPIRES - 60;

const relayKey = crypto.getRandomValues(new Uint8Array(32));
const linkKey = await deriveHmacKey(relayKey, DOMAIN.videoLink);
const otherKey = await deriveHmacKey(crypto.getRandomValues(new Uint8Array(32)), DOMAIN.videoLink);

/** Replaces the character at `index` with a different one of the base64url alphabet. */
function changeAt(text: string, index: number): string {
  const replacement = text[index] === "A" ? "B" : "A";
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe("video links", () => {
  it("verify with the key that signed them until they expire", async () => {
    const signature = await signVideoLink(linkKey, ID, EXPIRES);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await verifyVideoLink(linkKey, ID, String(EXPIRES), signature, BEFORE)).toBe("ok");
    expect(await verifyVideoLink(linkKey, ID, String(EXPIRES), signature, EXPIRES)).toBe("ok");
    expect(await verifyVideoLink(linkKey, ID, String(EXPIRES), signature, EXPIRES + 0.5)).toBe("expired");
  });

  it("are refused under another key, for another id or another expiry", async () => {
    const signature = await signVideoLink(linkKey, ID, EXPIRES);
    expect(await verifyVideoLink(otherKey, ID, String(EXPIRES), signature, BEFORE)).toBe("invalid");
    expect(await verifyVideoLink(linkKey, `${ID.slice(0, -1)}0`, String(EXPIRES), signature, BEFORE)).toBe("invalid");
    expect(await verifyVideoLink(linkKey, ID, String(EXPIRES + 1), signature, BEFORE)).toBe("invalid");
    // The same number spelled differently is not what was signed.
    expect(await verifyVideoLink(linkKey, ID, `0${EXPIRES}`, signature, BEFORE)).toBe("invalid");
  });

  it("are refused when any one character of the signature changes", async () => {
    const signature = await signVideoLink(linkKey, ID, EXPIRES);
    for (let index = 0; index < signature.length - 1; index++) {
      expect(await verifyVideoLink(linkKey, ID, String(EXPIRES), changeAt(signature, index), BEFORE)).toBe("invalid");
    }
  });

  const exact = String(EXPIRES);
  it.each<[string, string, (real: string) => string]>([
    ["an empty signature", exact, () => ""],
    ["a truncated signature", exact, (real) => real.slice(0, -1)],
    ["a signature with one character more", exact, (real) => `${real}A`],
    ["a padded signature", exact, (real) => `${real}=`],
    ["standard-alphabet characters", exact, (real) => real.replace(/./g, "+")],
    ["an expiry in exponent form", "1.9e9", (real) => real],
    ["a negative expiry", "-1", (real) => real],
    ["an expiry of 13 digits", "1".repeat(13), (real) => real],
    ["an empty expiry", "", (real) => real],
  ])("are refused with %s", async (_name, expires, presented) => {
    const real = await signVideoLink(linkKey, ID, EXPIRES);
    expect(await verifyVideoLink(linkKey, ID, expires, presented(real), BEFORE)).toBe("invalid");
  });

  it("sign a labelled input: a plain HMAC of '{id}.{expires}' under the same key is refused", async () => {
    const plain = await crypto.subtle.sign("HMAC", linkKey, new TextEncoder().encode(`${ID}.${EXPIRES}`));
    expect(await verifyVideoLink(linkKey, ID, String(EXPIRES), base64url(plain), BEFORE)).toBe("invalid");
  });

  it("are refused when signed with the id key derived from the same relay key", async () => {
    const idKey = await deriveHmacKey(relayKey, DOMAIN.generationId);
    const signature = await signVideoLink(idKey, ID, EXPIRES);
    expect(await verifyVideoLink(linkKey, ID, String(EXPIRES), signature, BEFORE)).toBe("invalid");
  });

  it("still sign and verify with a raw secret string (the transitional form)", async () => {
    const secret = "s".repeat(32);
    const signature = await signVideoLink(secret, ID, EXPIRES);
    expect(await verifyVideoLink(secret, ID, String(EXPIRES), signature, BEFORE)).toBe("ok");
    expect(await verifyVideoLink("t".repeat(32), ID, String(EXPIRES), signature, BEFORE)).toBe("invalid");
  });
});
