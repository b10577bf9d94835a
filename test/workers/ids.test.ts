/**
 * Generation ids that carry their own MAC (src/lib/ids.ts): ids the relay
 * issued verify; anything malformed, tampered with or issued under another
 * key does not. Runs in workerd, whose crypto.subtle.timingSafeEqual the
 * comparison uses.
 */
import { describe, expect, it } from "vitest";
import { DOMAIN, deriveHmacKey } from "../../src/lib/derive.ts";
import { GENERATION_ID_PATTERN, newGenerationId, verifyGenerationId } from "../../src/lib/ids.ts";
import { unissuedId } from "./helpers.ts";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const randomKey = () => deriveHmacKey(crypto.getRandomValues(new Uint8Array(32)), DOMAIN.generationId);
const idKey = await randomKey();

describe("generation ids", () => {
  it("match GENERATION_ID_PATTERN and verify with the key that issued them", async () => {
    for (let i = 0; i < 200; i++) {
      const id = await newGenerationId(idKey);
      expect(id).toMatch(GENERATION_ID_PATTERN);
      expect(id).toHaveLength(46);
      expect(await verifyGenerationId(idKey, id)).toBe(true);
    }
  });

  it("start with the creation time in Crockford base32, so they sort by creation time", async () => {
    expect(await newGenerationId(idKey, 0)).toMatch(/^gen_0000000000/);
    expect(await newGenerationId(idKey, 32 ** 9)).toMatch(/^gen_1000000000/);
    expect(await newGenerationId(idKey, 32 ** 10 - 1)).toMatch(/^gen_zzzzzzzzzz/);
    const times = [0, 1, 31, 32, 1_000, Date.now() - 86_400_000, Date.now(), Date.now() + 1, 2 ** 48];
    const ids = await Promise.all(times.map((time) => newGenerationId(idKey, time)));
    expect([...ids].sort()).toEqual(ids);
  });

  it("are refused after any one-character change", async () => {
    const id = await newGenerationId(idKey);
    for (let index = 0; index < id.length; index++) {
      for (const replacement of `${ALPHABET}_G`) {
        if (replacement === id[index]) continue;
        const changed = id.slice(0, index) + replacement + id.slice(index + 1);
        expect(await verifyGenerationId(idKey, changed), changed).toBe(false);
      }
    }
  });

  it("are refused when truncated or extended", async () => {
    const id = await newGenerationId(idKey);
    for (let length = 0; length < id.length; length++) {
      expect(await verifyGenerationId(idKey, id.slice(0, length))).toBe(false);
    }
    expect(await verifyGenerationId(idKey, `${id}0`)).toBe(false);
    expect(await verifyGenerationId(idKey, `${id} `)).toBe(false);
  });

  it("are refused under another id key", async () => {
    const other = await randomKey();
    for (let i = 0; i < 20; i++) {
      expect(await verifyGenerationId(other, await newGenerationId(idKey))).toBe(false);
    }
  });

  it("are refused when the MAC is made with the same relay key for another purpose", async () => {
    const relayKey = crypto.getRandomValues(new Uint8Array(32));
    const issued = await newGenerationId(await deriveHmacKey(relayKey, DOMAIN.videoLink));
    expect(await verifyGenerationId(await deriveHmacKey(relayKey, DOMAIN.generationId), issued)).toBe(false);
  });

  it.each([
    ["an empty string", ""],
    ["the bare prefix", "gen_"],
    ["an id in upper case", "GEN_01K0000000ABCDEFGHJKMNPQRS0123456789ABCDEF"],
    ["letters outside the alphabet (i, l, o, u)", `gen_${"ilou".repeat(10)}ab`],
    ["an old 26-character id", "gen_01k0000000abcdefghjkmnpqrs"],
    ["a very long id", `gen_${"a".repeat(5000)}`],
    ["a path-traversal attempt", "gen_../../healthz"],
    ["a NUL byte", `gen_${"0".repeat(41)}\0`],
  ])("are refused, without throwing, for %s", async (_name, id) => {
    expect(GENERATION_ID_PATTERN.test(id)).toBe(false);
    expect(await verifyGenerationId(idKey, id)).toBe(false);
  });

  it("of the right shape but never issued never verify", async () => {
    for (let i = 0; i < 50; i++) {
      const made = unissuedId();
      expect(made).toMatch(GENERATION_ID_PATTERN);
      expect(await verifyGenerationId(idKey, made)).toBe(false);
    }
  });
});
